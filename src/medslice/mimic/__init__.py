"""The MIMIC-CXR-JPG, MIMIC-CXR reports and MIMIC-IV formats: layout, schemas, parsing, cohort."""
