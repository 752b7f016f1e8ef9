"""Sample content for demos, tests and benchmarks: never imported by the production flows.

Synthetic inmate security profiles and the national export files made from them
(:mod:`adapters.samples.synthetic`, :mod:`adapters.samples.exports`), each adapter's documented
sample export with deliberate faults (:mod:`adapters.samples.documented`), synthetic integrity
audits and ethics training (:mod:`adapters.samples.integrity`) and the programme records built from
the network's published documents (:mod:`adapters.samples.programmes`).
"""
