"""Captioned environment frames for the in-domain CLIP recipes (pretrain_clip's data)."""
