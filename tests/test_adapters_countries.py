"""Each country's own cases: its native spellings, code lists, id formats and quirks."""

from __future__ import annotations

import io
import json
from typing import cast

import pytest

from adapters import codes, registry
from adapters.contract import ParsedRow, Reason, mapped_view
from adapters.countries import COUNTRY_SPECS
from adapters.samples.synthetic import ProfileGenerator, generate_profiles
from adapters.spec import ICCS_LABELS
from pxhub.v1 import common_pb2
from pxhub.v1 import inmate_profile_pb2 as pb

S = common_pb2


def parse(member: str, data: bytes) -> list[ParsedRow]:
    return list(registry.get_adapter(member).parse(io.BytesIO(data)))


def only(rows: list[ParsedRow]) -> pb.InmateSecurityProfile:
    assert len(rows) == 1, rows
    assert rows[0].record is not None, rows[0].issues
    return rows[0].record


def reasons(row: ParsedRow) -> list[tuple[str, str]]:
    return [(i.field, i.reason_code) for i in row.issues]


# ---------------------------------------------------------------- crosswalks (all members)


@pytest.mark.parametrize("member", sorted(COUNTRY_SPECS))
def test_every_national_code_has_a_crosswalk(member: str) -> None:
    adapter = registry.get_adapter(member)
    dialect = adapter.dialect  # type: ignore[attr-defined]
    for code, (iccs, label) in dialect.offences.codes.items():
        assert iccs in ICCS_LABELS and codes.iccs_code_is_well_formed(iccs), code
        charge = dialect.offences.charge(code, True, False)
        assert charge is not None and charge.iccs_code == iccs and charge.national_offence.label == label
    levels = dialect.levels.codes
    assert {level for level, _ in levels.values()} == {1, 2, 3, 4}  # every hub level reachable
    for person in (pb.PERSON_STATUS_PRETRIAL_DETAINEE, pb.PERSON_STATUS_SENTENCED,
                   pb.PERSON_STATUS_SENTENCED_APPEAL_PENDING, pb.PERSON_STATUS_ADMINISTRATIVE_DETENTION,
                   pb.PERSON_STATUS_RELEASED_SUPERVISED):
        code = dialect.situations.code_for(person, pb.LEGAL_STATUS_UNSPECIFIED)
        assert code and dialect.situations.lookup(code)[0] == person
    spec = COUNTRY_SPECS[member]
    assert dialect.documents.code_for(spec.id_type, spec.iso2)  # its own national id has a code


@pytest.mark.parametrize("member", sorted(COUNTRY_SPECS))
def test_a_foreign_members_record_renders_with_iccs_codes_and_the_hub_scale(member: str) -> None:
    """Inbound: a record from another member becomes ICCS-coded charges and a national level."""
    other = "PE-INPE" if member != "PE-INPE" else "MX-OADPRS"
    foreign = ProfileGenerator(other, 3).profile(0)
    adapter = registry.get_adapter(member)
    out = io.BytesIO()
    adapter.render([foreign], out)
    record = only(parse(member, out.getvalue()))
    assert record.custodian == other
    assert [c.iccs_code for c in record.custody.charges] == [c.iccs_code for c in foreign.custody.charges]
    assert {c.national_offence.scheme for c in record.custody.charges} == {codes.ICCS_SCHEME}
    assert record.security_classification.level == foreign.security_classification.level
    assert record.security_classification.national_level.scheme == COUNTRY_SPECS[member].level_scheme
    assert [i.value for i in record.identifiers] == [i.value for i in foreign.identifiers]
    assert [i.validation for i in record.identifiers] == [i.validation for i in foreign.identifiers]


# ---------------------------------------------------------------- Colombia (CSV ; windows-1252)

CO_HEADER = ("NUI;ENTIDAD;FECHA_CORTE;TIPO_DOCUMENTO;NUMERO_DOCUMENTO;PAIS_DOCUMENTO;OTROS_DOCUMENTOS;"
             "PRIMER_NOMBRE;SEGUNDO_NOMBRE;PRIMER_APELLIDO;SEGUNDO_APELLIDO;ALIAS;FECHA_NACIMIENTO;SEXO;"
             "NACIONALIDAD;SITUACION_JURIDICA;FECHA_CAPTURA;FECHA_INGRESO;CODIGO_ESTABLECIMIENTO;"
             "ESTABLECIMIENTO;AUTORIDAD_JUDICIAL;RADICADO;DELITOS;AGRAVANTE_CRIMEN_ORGANIZADO;FECHA_SENTENCIA;"
             "PENA_ANOS;PENA_MESES;FECHA_PROBABLE_LIBERTAD;INGRESOS_ANTERIORES;FASE_TRATAMIENTO;"
             "FECHA_CLASIFICACION;FECHA_REVISION\r\n")


def co_row(**over: str) -> str:
    values = {
        "NUI": "NUI-00000042", "ENTIDAD": "", "FECHA_CORTE": "30/06/2025 07:00:00", "TIPO_DOCUMENTO": "CC",
        "NUMERO_DOCUMENTO": "1.020.304.050", "PAIS_DOCUMENTO": "COLOMBIA", "OTROS_DOCUMENTOS": "",
        "PRIMER_NOMBRE": "José", "SEGUNDO_NOMBRE": "Luis", "PRIMER_APELLIDO": "Muñoz",
        "SEGUNDO_APELLIDO": "Córdoba",
        "ALIAS": "el Paisa", "FECHA_NACIMIENTO": "00/03/1985", "SEXO": "M", "NACIONALIDAD": "COLOMBIA",
        "SITUACION_JURIDICA": "CONDENADO", "FECHA_CAPTURA": "02/01/2020", "FECHA_INGRESO": "03/01/2020",
        "CODIGO_ESTABLECIMIENTO": "COMEB", "ESTABLECIMIENTO": "La Picota", "AUTORIDAD_JUDICIAL": "Juzgado 3",
        "RADICADO": "110016000000202000001", "DELITOS": "CP-376|CP-340", "AGRAVANTE_CRIMEN_ORGANIZADO": "S",
        "FECHA_SENTENCIA": "01/02/2021", "PENA_ANOS": "8", "PENA_MESES": "6",
        "FECHA_PROBABLE_LIBERTAD": "03/07/2028", "INGRESOS_ANTERIORES": "1", "FASE_TRATAMIENTO": "FASE-ALTA",
        "FECHA_CLASIFICACION": "01/03/2021", "FECHA_REVISION": "01/09/2021",
    }
    values.update(over)
    return ";".join(values.values()) + "\r\n"


def test_co_windows_1252_file_with_split_names_and_a_month_only_birth_date() -> None:
    record = only(parse("CO-INPEC", (CO_HEADER + co_row()).encode("cp1252")))
    ident = record.identity
    assert (ident.given_names, ident.first_surname, ident.second_surname) == ("José Luis", "Muñoz", "Córdoba")
    assert (ident.birth_date.year, ident.birth_date.month, ident.birth_date.day) == (1985, 3, 0)
    assert ident.sex == pb.SEX_MALE and list(ident.nationalities_iso2) == ["CO"]
    nickname = pb.NameVariant.NAME_KIND_NICKNAME
    assert [(n.given_names, n.kind) for n in ident.other_names] == [("el Paisa", nickname)]
    doc = record.identifiers[0]
    assert (doc.value, doc.validation, doc.validation_algorithm) == (
        "1020304050", S.ID_VALIDATION_STATUS_VALID_FORMAT_ONLY, "co-cc-format-v1")
    assert doc.issuing_authority == "Registraduría Nacional del Estado Civil"
    assert record.person_status == pb.PERSON_STATUS_SENTENCED
    assert record.custody.legal_status == pb.LEGAL_STATUS_CONVICTED_FINAL
    charges = record.custody.charges
    assert [(c.national_offence.code, c.iccs_code, c.organised_crime_aggravation) for c in charges] == [
        ("CP-376", "0601", True), ("CP-340", "0905", False)]
    assert {c.status for c in charges} == {pb.Charge.CHARGE_STATUS_CONVICTED}
    sentence = record.custody.sentences[0]
    assert (sentence.term_years, sentence.term_months, sentence.court) == (8, 6, "Juzgado 3")
    assert list(sentence.charge_iccs_codes) == ["0601", "0905"]
    assert (sentence.expires_on.year, record.custody.projected_release.year) == (2028, 2028)
    assert record.security_classification.level == pb.SECURITY_LEVEL_HIGH
    assert record.as_of.seconds == 1_751_284_800  # 07:00 in Bogotá = 12:00 UTC
    assert record.custodian == "CO-INPEC"
    assert record.profile_id == str(__import__("uuid").uuid5(
        __import__("uuid").uuid5(__import__("uuid").NAMESPACE_URL, "urn:pxhub:adapters:profile-id"),
        "CO-INPEC\x1fNUI-00000042"))


def test_co_reads_utf8_too_and_tolerates_header_spelling() -> None:
    header = CO_HEADER.replace("PRIMER_NOMBRE", "Primer_Nombre")
    header = header.replace("SITUACION_JURIDICA", "SITUACIÓN_JURÍDICA")
    row = parse("CO-INPEC", (header + co_row()).encode("utf-8"))[0]
    assert row.issues == ()
    assert row.record is not None and row.record.identity.first_surname == "Muñoz"


def test_co_foreign_national_ids_are_checked_with_their_own_rule() -> None:
    rows = parse("CO-INPEC", (CO_HEADER + co_row(TIPO_DOCUMENTO="DE", NUMERO_DOCUMENTO="171430710-3",
                                                 PAIS_DOCUMENTO="ECUADOR",
                                                 OTROS_DOCUMENTOS="PA:VENEZUELA:AB1234567|DE:PERU:10117410-3")
                              ).encode("cp1252"))
    record = only(rows)
    assert [(i.type, i.issuing_country_iso2, i.value, i.validation) for i in record.identifiers] == [
        (S.ID_DOCUMENT_TYPE_EC_CEDULA, "EC", "1714307103", S.ID_VALIDATION_STATUS_VALID_CHECKSUM),
        (S.ID_DOCUMENT_TYPE_PASSPORT, "VE", "AB1234567", S.ID_VALIDATION_STATUS_NOT_VALIDATED),
        (S.ID_DOCUMENT_TYPE_PE_DNI, "PE", "101174103", S.ID_VALIDATION_STATUS_INVALID_CHECKSUM),
    ]
    assert reasons(rows[0]) == [("OTROS_DOCUMENTOS[2]", Reason.ID_INVALID_CHECKSUM)]


def test_co_wrong_delimiter_and_ragged_rows() -> None:
    comma = CO_HEADER.replace(";", ",") + co_row().replace(";", ",")
    header, row = parse("CO-INPEC", comma.encode("cp1252"))
    assert header.row_number == 0 and reasons(header) == [("<header>", Reason.WRONG_DELIMITER)]
    assert row.record is not None and not row.issues  # said once, for the file
    short = parse("CO-INPEC", (CO_HEADER + co_row().rsplit(";", 3)[0] + "\r\n").encode("cp1252"))[0]
    assert short.record is not None
    assert ("line 2", Reason.MISSING_VALUES) in reasons(short)
    assert not short.record.security_classification.HasField("review_due")


# ---------------------------------------------------------------- Peru (CSV , UTF-8 ISO dates)


def pe_file(**over: str) -> bytes:
    adapter = registry.get_adapter("PE-INPE")
    header = [name for _, name in adapter.file_format.columns]  # type: ignore[attr-defined]
    values = dict.fromkeys(header, "")
    values.update(codigo_interno="INPE-00000001", fecha_corte="2025-06-30T07:00:00-05:00", tipo_doc="1",
                  num_doc="10117410-2", nombres="Percy", apellido_paterno="Quispe", apellido_materno="Mamani",
                  fecha_nacimiento="1990-07", sexo="1", nacionalidad="PER", situacion_juridica="S",
                  delitos="CP-108;CP-152", cadena_perpetua="1", regimen="RCE-A", fecha_sentencia="2015-05-04")
    values.update(over)
    return (",".join(header) + "\n" + ",".join(values.values()) + "\n").encode()


def test_pe_dni_with_and_without_its_check_character() -> None:
    for number, status in (("10117410-2", S.ID_VALIDATION_STATUS_VALID_CHECKSUM),
                           ("10117410-G", S.ID_VALIDATION_STATUS_VALID_CHECKSUM),
                           ("10117410", S.ID_VALIDATION_STATUS_VALID_FORMAT_ONLY),
                           ("10117410-3", S.ID_VALIDATION_STATUS_INVALID_CHECKSUM)):
        rows = parse("PE-INPE", pe_file(num_doc=number))
        assert only(rows).identifiers[0].validation == status, number
        if status == S.ID_VALIDATION_STATUS_INVALID_CHECKSUM:
            assert reasons(rows[0]) == [("num_doc", Reason.ID_INVALID_CHECKSUM)]
            assert rows[0].warnings and not rows[0].errors


def test_pe_life_sentence_numeric_codes_and_partial_dates() -> None:
    record = only(parse("PE-INPE", pe_file()))
    assert record.custody.sentences[0].life
    assert (record.identity.birth_date.year, record.identity.birth_date.month) == (1990, 7)
    assert record.identity.sex == pb.SEX_MALE and list(record.identity.nationalities_iso2) == ["PE"]
    assert [c.iccs_code for c in record.custody.charges] == ["0101", "020221"]
    assert record.security_classification.level == pb.SECURITY_LEVEL_MAXIMUM
    assert record.security_classification.national_level.code == "RCE-A"
    row = parse("PE-INPE", pe_file(sexo="3", fecha_nacimiento="1990-13", pena_anios="ocho"))[0]
    assert row.record is not None
    assert sorted(reasons(row)) == [("fecha_nacimiento", Reason.BAD_DATE), ("pena_anios", Reason.BAD_NUMBER),
                                    ("sexo", Reason.UNKNOWN_CODE)]
    assert "month 13" in next(i.message for i in row.issues if i.field == "fecha_nacimiento")


# ---------------------------------------------------------------- Guatemala (XML)


def gt_record(body: str) -> bytes:
    xml = f'<?xml version="1.0" encoding="UTF-8"?>\n<reclusos>\n  <recluso>{body}</recluso>\n</reclusos>\n'
    return xml.encode()


GT_BODY = ("<registro>DGSP-1</registro><institucion/><fechaCorte>2025-06-30T06:00:00-06:00</fechaCorte>"
           '<documentos><documento tipo="DPI" pais="GTM">1234 56789 0101</documento></documentos>'
           "<nombres>Byron</nombres><primerApellido>Xol</primerApellido><segundoApellido>Cac</segundoApellido>"
           "<apodo/><fechaNacimiento>1988-01-02</fechaNacimiento><sexo>HOMBRE</sexo><nacionalidad>GTM</nacionalidad>"
           "<situacionJuridica>PREVENTIVO</situacionJuridica><fechaCaptura/><fechaIngreso>2024-05-01</fechaIngreso>"
           '<centro codigo="CDP-Z18">Zona 18</centro><juzgado/><causa/>'
           '<delitos><delito codigo="D21-2006-ART-10" crimenOrganizado="true"/></delitos>'
           "<condena><fechaSentencia/><anios/><meses/></condena><fechaLibertad/><ingresosAnteriores>0</ingresosAnteriores>"
           '<nivelSeguridad fechaDiagnostico="2024-05-10" fechaRevision="">ALTA</nivelSeguridad>')


def test_gt_spaced_dpi_and_attribute_values() -> None:
    record = only(parse("GT-DGSP", gt_record(GT_BODY)))
    assert record.identifiers[0].value == "1234567890101"
    assert record.identifiers[0].validation == S.ID_VALIDATION_STATUS_VALID_CHECKSUM
    assert record.custody.facility_code == "CDP-Z18" and record.custody.facility_name == "Zona 18"
    charge = record.custody.charges[0]
    assert (charge.iccs_code, charge.organised_crime_aggravation, charge.status) == (
        "0205", True, pb.Charge.CHARGE_STATUS_PENDING)
    assert not record.custody.sentences
    assert record.security_classification.assessed_on.month == 5


def test_gt_invalid_dpi_component_is_a_warning() -> None:
    rows = parse("GT-DGSP", gt_record(GT_BODY.replace("1234 56789 0101", "2660507980909")))
    assert only(rows).identifiers[0].validation == S.ID_VALIDATION_STATUS_INVALID_CHECKSUM
    assert [i.reason_code for i in rows[0].issues] == [Reason.ID_INVALID_CHECKSUM]


def test_gt_latin1_declared_xml_and_no_entity_expansion() -> None:
    declared = gt_record(GT_BODY.replace("Xol", "Chávez")).replace(b"UTF-8", b"ISO-8859-1")
    latin = declared.decode().encode("latin-1")
    assert only(parse("GT-DGSP", latin)).identity.first_surname == "Chávez"
    bomb = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            b"<reclusos><recluso>" + GT_BODY.replace("Byron", "&b;").encode() + b"</recluso>"
            b"<recluso>" + GT_BODY.encode() + b"</recluso></reclusos>")
    rows = parse("GT-DGSP", bomb)
    assert rows[0].record is None and rows[0].issues[0].reason_code == Reason.MALFORMED_RECORD
    assert rows[1].record is not None and rows[1].record.identity.given_names == "Byron"


def test_gt_unclosed_last_record_and_comments() -> None:
    data = gt_record(GT_BODY).replace(b"<reclusos>", b"<reclusos><!-- <recluso>no</recluso> -->")
    assert only(parse("GT-DGSP", data)).identity.given_names == "Byron"
    rows = parse("GT-DGSP", data[: data.rindex(b"</recluso>")])
    assert [(r.record, [i.reason_code for i in r.issues]) for r in rows] == [
        (None, [Reason.MALFORMED_RECORD])]


# ---------------------------------------------------------------- Ecuador (JSON Lines)


def ec_line(**over: object) -> dict[str, object]:
    adapter = registry.get_adapter("EC-SNAI")
    out = io.BytesIO()
    adapter.render([ProfileGenerator("EC-SNAI", 9).profile(1)], out)
    obj: dict[str, object] = json.loads(out.getvalue())
    obj.update(over)
    return obj


def test_ec_numbers_as_json_or_text_and_nested_objects() -> None:
    base = ec_line()
    assert isinstance(base["ingreso"]["ingresosAnteriores"], int)  # type: ignore[index]
    assert isinstance(base["nacionalidades"], list)
    as_text = dict(base, ingreso=dict(cast(dict[str, object], base["ingreso"]), ingresosAnteriores="2"))
    record = only(parse("EC-SNAI", json.dumps(as_text).encode()))
    assert record.custody.prior_incarcerations == 2
    wrong = dict(base, nombres={"primero": "Luis"}, ingreso="sin datos")
    row = parse("EC-SNAI", json.dumps(wrong).encode())[0]
    assert row.record is None
    assert ("ingreso", Reason.BAD_TYPE) in reasons(row)
    assert ("nombres", Reason.BAD_TYPE) in reasons(row)


def test_ec_invalid_province_lone_surrogates_and_blank_lines() -> None:
    line = ec_line(identificaciones=[{"tipo": "CEDULA", "numero": "2510034065", "pais": "EC"}],
                   primerApellido="Zambrano\ud800")
    text = json.dumps(line)  # keeps the lone surrogate as the escape \ud800
    rows = parse("EC-SNAI", ("\n\n" + text + "\n\n" + text + "\n").encode())
    assert [r.row_number for r in rows] == [1, 2]
    record = rows[0].record
    assert record is not None and record.identity.first_surname == "Zambrano\ufffd"
    assert record.identifiers[0].validation == S.ID_VALIDATION_STATUS_INVALID_COMPONENT
    assert {i.reason_code for i in rows[0].issues} == {Reason.NOT_UTF8, Reason.ID_INVALID_COMPONENT}


# ---------------------------------------------------------------- Uruguay (CSV ; UTF-8 BOM)


def test_uy_file_starts_with_a_bom_and_prints_the_cedula_with_dots() -> None:
    adapter = registry.get_adapter("UY-INR")
    out = io.BytesIO()
    profile = ProfileGenerator("UY-INR", 4).profile(0)
    adapter.render([profile], out)
    data = out.getvalue()
    assert data.startswith(b"\xef\xbb\xbfRegistro INR;")
    ci = profile.identifiers[0].value
    uy_ci = S.ID_DOCUMENT_TYPE_UY_CEDULA_IDENTIDAD
    assert codes.display_id(uy_ci, ci, {int(uy_ci)}).encode() in data
    assert mapped_view(only(parse("UY-INR", data))) == mapped_view(profile)
    for number, status in (("1.234.567-2", S.ID_VALIDATION_STATUS_VALID_CHECKSUM),
                           ("1.234.567-8", S.ID_VALIDATION_STATUS_INVALID_CHECKSUM),
                           ("123.456-1", S.ID_VALIDATION_STATUS_VALID_CHECKSUM)):
        changed = data.replace(codes.display_id(S.ID_DOCUMENT_TYPE_UY_CEDULA_IDENTIDAD, ci,
                                                {int(S.ID_DOCUMENT_TYPE_UY_CEDULA_IDENTIDAD)}).encode(),
                               number.encode())
        assert only(parse("UY-INR", changed)).identifiers[0].validation == status


def test_uy_yes_no_and_month_year_dates() -> None:
    assert codes.BoolCodec("Sí", "No").parse("sí") is True
    assert codes.DateCodec("dmy", "short").parse("03/1985") == (1985, 3, 0)
    assert codes.DateCodec("dmy", "short").format(common_pb2.PartialDate(year=1985, month=3)) == "03/1985"


# ---------------------------------------------------------------- Dominican Republic (JSON array)


def do_array(count: int = 3) -> bytes:
    out = io.BytesIO()
    registry.get_adapter("DO-DGSPC").render(generate_profiles("DO-DGSPC", count, seed=8), out)
    return out.getvalue()


def test_do_cedula_dashes_numbers_as_text_and_streamed_elements() -> None:
    data = do_array()
    objects = json.loads(data)
    assert objects[0]["documentos"][0]["numero"].count("-") == 2
    assert isinstance(objects[0]["reincidencias"], str)
    rows = parse("DO-DGSPC", data)
    assert len(rows) == 3 and all(r.record is not None and not r.issues for r in rows)
    objects[1]["documentos"][0]["numero"] = "00113918204"
    objects[2]["documentos"][0]["numero"] = "001-1391820-5"
    rows = parse("DO-DGSPC", json.dumps(objects).encode())
    assert rows[1].record.identifiers[0].validation == S.ID_VALIDATION_STATUS_INVALID_CHECKSUM  # type: ignore[union-attr]
    assert rows[2].record.identifiers[0].validation == S.ID_VALIDATION_STATUS_VALID_CHECKSUM  # type: ignore[union-attr]


def test_do_broken_elements_do_not_stop_the_array() -> None:
    objects = json.loads(do_array())
    text = json.dumps(objects)
    first_end = text.index("}, {") + 3
    broken = (text[:first_end] + '{"numero_interno": tru, "x": [1,}, '
              + text[first_end:].replace("[", "[\n", 1))
    rows = parse("DO-DGSPC", ("\ufeff" + broken).encode())
    assert [r.row_number for r in rows] == [1, 2, 3, 4]
    assert [r.record is not None for r in rows] == [True, False, True, True]
    assert rows[1].issues[0].reason_code == Reason.MALFORMED_RECORD
    assert parse("DO-DGSPC", b'{"numero_interno": "1"}')[0].row_number == 0  # not an array
    assert parse("DO-DGSPC", b"[1, \"texto\"]")[1].issues[0].reason_code == Reason.NOT_A_RECORD
    assert parse("DO-DGSPC", b"") == [] and parse("DO-DGSPC", b"[]") == []


def test_do_array_elements_split_across_read_chunks() -> None:
    data = do_array(300)  # several 64 KiB chunks, numbers and strings cut at chunk ends

    class Trickle(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            return super().read(min(size if size and size > 0 else 997, 997))

    rows = list(registry.get_adapter("DO-DGSPC").parse(Trickle(data)))
    assert len(rows) == 300 and all(r.record is not None and not r.issues for r in rows)


@pytest.mark.parametrize("cut_after", [b"]", b"}", b'"', b"0123456789", b","])
def test_do_reads_that_end_after_every_bracket_quote_or_digit(cut_after: bytes) -> None:
    """A chunk may end anywhere: right after a nested "]" (not the array's), inside a number, …"""
    data = do_array(12)

    class Cutting(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            start = self.tell()
            rest = self.getvalue()[start:]
            ends = [i + 1 for i, byte in enumerate(rest) if byte in cut_after]
            end = ends[0] if ends else len(rest)
            return super().read(end)

    rows = list(registry.get_adapter("DO-DGSPC").parse(Cutting(data)))
    assert len(rows) == 12 and all(r.record is not None and not r.issues for r in rows), [
        r.issues for r in rows if r.issues]


# ---------------------------------------------------------------- Mexico (XML, attributes, CURP)


def mx_file(curp: str, sex: str = "H") -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?><PadronPPL><PPL Expediente="OADPRS-1" '
            'FechaCorte="30/06/2025 06:00:00" SituacionJuridica="PROCESADO">'
            f'<Identificacion Tipo="CURP" Pais="MEXICO">{curp}</Identificacion>'
            f'<Nombre Nombres="Wenceslao" ApellidoPaterno="Bolaños" ApellidoMaterno="" Alias="el Güero"/>'
            f'<Nacimiento Fecha="20/08/1931" Sexo="{sex}" Nacionalidad="MEXICO"/>'
            '<Causa Juzgado="Juzgado 1°" Numero="CP 1/2025">'
            '<Delito Clave="LFDO-2" DelincuenciaOrganizada="S"/>'
            '<Delito Clave="ICCS:0601" DelincuenciaOrganizada="N"/></Causa>'
            '<Clasificacion NivelSeguridad="MAXIMA" Fecha="" Revision=""/></PPL></PadronPPL>').encode()


def test_mx_curp_sex_codes_and_iccs_coded_charges() -> None:
    rows = parse("MX-OADPRS", mx_file("BOXW310820HNERXN09"))
    record = only(rows)
    assert record.identifiers[0].validation == S.ID_VALIDATION_STATUS_VALID_CHECKSUM
    assert record.identity.sex == pb.SEX_MALE  # H = hombre
    assert only(parse("MX-OADPRS", mx_file("BOXW310820HNERXN09", sex="M"))).identity.sex == pb.SEX_FEMALE
    assert [(c.national_offence.scheme, c.iccs_code) for c in record.custody.charges] == [
        ("mx-oadprs-delitos", "0905"), (codes.ICCS_SCHEME, "0601")]
    assert record.security_classification.level == pb.SECURITY_LEVEL_MAXIMUM
    missing = {(i.field, i.reason_code) for i in rows[0].issues}
    assert ("Ingreso", Reason.MISSING_COLUMN) in {(f.split("@")[0], r) for f, r in missing}
    bad = parse("MX-OADPRS", mx_file("BOXW310820HNERXN08"))[0]
    assert bad.record is not None
    assert bad.record.identifiers[0].validation == S.ID_VALIDATION_STATUS_INVALID_CHECKSUM
    assert ("Identificacion[1]", Reason.ID_INVALID_CHECKSUM) in reasons(bad)


def test_mx_unknown_attribute_is_an_extra_column() -> None:
    row = parse("MX-OADPRS", mx_file("BOXW310820HNERXN09").replace(b'Alias="', b'Apodo2="x" Alias="'))[0]
    assert ("Nombre@Apodo2", Reason.EXTRA_COLUMN) in reasons(row)


# ---------------------------------------------------------------- documentation stays in step


@pytest.mark.parametrize("member", sorted(COUNTRY_SPECS))
def test_docs_list_every_national_field_and_code(member: str) -> None:
    from pathlib import Path

    doc = (Path(__file__).parent.parent / "docs" / "adapters.md").read_text()
    section = doc[doc.index(f"### {member}"):]
    section = section[: section.index("\n### ", 5) if "\n### " in section[5:] else len(section)]
    adapter = registry.get_adapter(member)
    dialect = adapter.dialect  # type: ignore[attr-defined]
    for code in [*dialect.offences.codes, *dialect.levels.codes, *dialect.situations.table.codes,
                 *dialect.documents.table.codes, *dialect.sexes.codes]:
        assert f"`{code}`" in section, (member, code)
    for name in adapter.file_format.names.values():  # type: ignore[attr-defined]
        if name not in ("type", "number", "country"):
            assert name.split("@")[-1] in section, (member, name)
    assert str(adapter.sample_path().relative_to(Path(__file__).parent.parent)) in section
