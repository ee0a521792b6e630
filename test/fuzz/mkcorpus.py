#!/usr/bin/env python3
"""Write the seed corpus of test/fuzz/fuzz_netparse.c into test/fuzz/corpus:
every targeted frame of test/test_wire.py (valid ones and each header field
wrong in turn) and the mutator's templates, as fuzz inputs: a control byte
0 (use the frame as it is; see fuzz_netparse.c) and the frame.  Frames
over 2048 bytes are left out (the target cuts them there anyway).

    /usr/bin/python3 test/fuzz/mkcorpus.py   (from the repository root; needs scapy)


"""

import os
import re
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import test_wire                                 # noqa: E402

MAXFRAME = 2048


def slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def main():
    out = os.path.join(HERE, "corpus")
    os.makedirs(out, exist_ok=True)
    inputs = {}
    for batch, cases in test_wire.targeted().items():
        for case, frame, _ in cases:
            inputs["%s--%s" % (slug(batch), slug(case))] = frame
    for i, frame in enumerate(test_wire.templates()):
        inputs["template-%d" % i] = frame
    n = 0
    for name, frame in sorted(inputs.items()):
        if len(frame) > MAXFRAME:
            continue
        with open(os.path.join(out, name), "wb") as f:
            f.write(b"\0" + frame)
        n += 1
    print("mkcorpus: %d inputs in %s" % (n, os.path.relpath(out)))


if __name__ == "__main__":
    main()
