"""The MIMIC-CXR-JPG, MIMIC-CXR reports and MIMIC-IV formats: layout, schemas, parsing, cohort.

Modules, one job each (import them directly; this package imports nothing so that pool workers start
fast):

- ``schemas``, ``layout``: column names and folder layout of the PhysioNet files.
- ``writer``: write a release in that layout (used by ``medslice.synth``).
- ``reader``: ``MimicCxrJpg`` (release folder) and ``MimicCxrReports`` (reports tree or zip).
- ``sections``: port of MIT-LCP/mimic-cxr's report sectioner.
- ``labels``: uncertainty policies and the No Finding rule.
- ``metadata_sentence``, ``demographics``, ``study_time``: derived cohort attributes.
- ``ingest``: the table builders the ingestion pipeline calls, each returning ``(table, qa)``.
- ``tables``: the Arrow schemas of those tables and ``to_arrow``.
"""
