"""Masking of identifiers in records and free text that people read."""

from __future__ import annotations

from customer_warehouse.pii.mask import mask_record, mask_text, mask_value


def test_mask_values_by_field():
    assert mask_value("email", "li.na@example.cn") == "***@example.cn"
    assert mask_value("phone", "+86 138 0013 8000") == "***00"
    assert mask_value("full_name", "张伟") == "张***"
    assert mask_value("birth_date", "1990-04-17") == "***"
    assert mask_value("signup_ip", "198.51.100.23") == "***"
    assert mask_value("city", "Hangzhou") == "Hangzhou"
    assert mask_value("email", None) is None


def test_mask_record_nested():
    record = {"customer_id": 7, "email": "a@b.cn", "properties": {"_extra": {"ip": "10.0.0.1"}}}
    assert mask_record(record) == {
        "customer_id": 7,
        "email": "***@b.cn",
        "properties": {"_extra": {"ip": "***"}},
    }


def test_mask_text_finds_identifiers():
    line = '{"ip": "198.51.100.23", "email": "li.na@example.cn", "phone": "+86 138 0013 8000", "n": 12}'
    masked = mask_text(line)
    assert "198.51.100.23" not in masked
    assert "li.na@" not in masked
    assert "138 0013" not in masked
    assert '"n": 12' in masked


def test_unparsed_line_masked_only_when_asked():
    record = {"_line": "order-1,2017-10-02 10:56:33,li.na@example.cn"}
    assert "li.na" not in mask_record(record)["_line"]
    assert mask_record(record, scan_lines=False) == record


def test_mask_text_cut_off_email():
    masked = mask_text('{"email": "ouyang.sasa@leak-check')
    assert "ouyang" not in masked
    assert "***@leak-check" in masked
