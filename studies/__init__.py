"""One study each: scripts, sweep files, results and a README naming commit and hardware."""
