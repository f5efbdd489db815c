"""The offline stack: moto wiring, stand-ins for Salesforce, ElevenLabs and
GoHighLevel, and demo data. Lambda code never imports this package.

Importing it puts the layer's code on `sys.path`, as Lambda does with
`/opt/python`, so `python -m local.demo` sees `revops` exactly as a function would.
"""

import sys
from pathlib import Path

_LAYER = str(Path(__file__).resolve().parent.parent / "layers" / "common")
if _LAYER not in sys.path:
    sys.path.insert(0, _LAYER)
