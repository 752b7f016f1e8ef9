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

from adapters.countries import co_inpec, do_dgspc, ec_snai, gt_dgsp, mx_oadprs, pe_inpe, uy_inr
from adapters.spec import CountrySpec

#: Each built-in member's ``CountrySpec``, by member id (in the network's usual order).
COUNTRY_SPECS: dict[str, CountrySpec] = {
    country.SPEC.member_id: country.SPEC
    for country in (co_inpec, pe_inpe, ec_snai, gt_dgsp, uy_inr, do_dgspc, mx_oadprs)
}
