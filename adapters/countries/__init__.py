"""The seven built-in country adapters, one module each, registered as ``pxhub.adapters`` entry points.

| member | national format |
|---|---|
| CO-INPEC | CSV, ``;``, windows-1252, dd/mm/yyyy, upper-case Spanish headers, split given names |
| PE-INPE | CSV, ``,``, UTF-8, ISO dates, snake_case headers, SUNAT-style numeric document codes |
| GT-DGSP | XML, child elements in camelCase, ISO dates, DPI printed with spaces |
| EC-SNAI | JSON Lines, nested camelCase objects, ISO dates, JSON numbers and booleans |
| UY-INR | CSV, ``;``, UTF-8 with BOM (spreadsheet export), dd/mm/yyyy, titled headers, dotted cédula |
| DO-DGSPC | one JSON array, snake_case, dd/mm/yyyy, numbers as text, dashed cédula |
| MX-OADPRS | XML, attribute-heavy, PascalCase, dd/mm/yyyy, CURP |

``docs/adapters.md`` has each format's field table, code crosswalks and sample file.
"""
