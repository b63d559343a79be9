"""Hand-made raw rows covering the hard cases staging and the marts must handle.

Each row states the case it covers. Amounts are chosen so the expected totals can be
worked out by hand in the tests.
"""

from __future__ import annotations

from datetime import UTC, datetime

FIRST_LOAD = datetime(2024, 6, 1, 8, 0, tzinfo=UTC)
SECOND_LOAD = datetime(2024, 6, 2, 8, 0, tzinfo=UTC)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def _customer(
    customer_id: int, phone: str | None, birth_date: str | None, gender: str | None, country: str, **overrides
) -> dict:
    row = {
        "customer_id": customer_id,
        "given_name": f"Given{customer_id}",
        "family_name": f"Family{customer_id}",
        "full_name": f"Given{customer_id} Family{customer_id}",
        "email": f"person{customer_id}@example.com",
        "phone": phone,
        "birth_date": birth_date,
        "gender": gender,
        "country_code": country,
        "signup_channel": "Web ",
        "signup_device_id": f"device-{customer_id:04d}",
        "signup_ip": f"203.0.113.{customer_id}",
        "marketing_opt_in": customer_id % 2 == 0,
        "created_at": utc(2023, 5, 10, 10, 0),
        "updated_at": utc(2024, 1, 1),
        "deleted_at": None,
        "_loaded_at": FIRST_LOAD,
    }
    row.update(overrides)
    return row


SHOP_CUSTOMERS = [
    # Two versions: the later updated_at wins, with its untrimmed mixed-case email.
    _customer(1, "+86 138 0013 8000", "1990-04-17", "女", "CN", email="old@old.example.com"),
    _customer(
        1,
        "+86 138 0013 8000",
        "1990-04-17",
        "女",
        "CN",
        email="  Ann.Lee@Example.COM ",
        updated_at=utc(2024, 2, 1),
    ),
    _customer(2, "13800138000", "17/04/1990", "F", "CN"),
    _customer(3, "0086-138-0013-8000", "1990/04/17", "Male", "CN"),
    _customer(4, "(415) 555-0134", "17.04.1990", "male", "US"),
    _customer(5, "+1 415 555 0134", "19900417", "M", "US"),
    _customer(6, "011 55 11 91234 5678", "not a date", "U", "US", email="bad@@example"),
    _customer(7, "020 7946 0958", "31/02/1990", None, "gb"),
    _customer(8, "(11) 91234-5678", "2030-01-01", "female", "BR"),
    # Soft deleted in its second version.
    _customer(9, "030 1234567", "1890-01-01", "m", "DE"),
    _customer(
        9, "030 1234567", "1890-01-01", "m", "DE", updated_at=utc(2024, 3, 1), deleted_at=utc(2024, 3, 1)
    ),
    # Same updated_at loaded twice: the later load wins.
    _customer(10, "12345", None, None, "US", email="first@first.example.com"),
    _customer(10, "12345", None, None, "US", email="second@second.example.com", _loaded_at=SECOND_LOAD),
]

# customer_id: birth_date_status expected (valid, missing or unparseable)
SHOP_CUSTOMER_BIRTH_STATUS = {
    1: "valid",
    2: "valid",
    3: "valid",
    4: "valid",
    5: "valid",
    6: "unparseable",
    7: "unparseable",
    8: "valid",
    9: "valid",
    10: "missing",
}

# customer_id: (E.164 expected, birth date expected as ISO text, gender expected)
SHOP_CUSTOMER_EXPECTED = {
    1: ("+8613800138000", "1990-04-17", "female"),
    2: ("+8613800138000", "1990-04-17", "female"),
    3: ("+8613800138000", "1990-04-17", "male"),
    4: ("+14155550134", "1990-04-17", "male"),
    5: ("+14155550134", "1990-04-17", "male"),
    6: ("+5511912345678", None, "unknown"),
    7: ("+442079460958", None, "unknown"),
    8: ("+5511912345678", "2030-01-01", "female"),
    9: ("+49301234567", "1890-01-01", "male"),
    10: (None, None, "unknown"),
}


def _address(
    address_id: int, customer_id: int, city: str, postcode: str, is_default: bool, **overrides
) -> dict:
    row = {
        "address_id": address_id,
        "customer_id": customer_id,
        "address_type": "Shipping",
        "line1": f"{address_id} Example Street",
        "line2": None,
        "city": city,
        "state": "MA",
        "postcode": postcode,
        "country_code": "us",
        "is_default": is_default,
        "created_at": utc(2023, 5, 10),
        "updated_at": utc(2024, 1, 1),
        "deleted_at": None,
    }
    row.update(overrides)
    return row


SHOP_ADDRESSES = [
    _address(1, 1, "Shanghai", "200000", False, country_code="CN", state="SH"),
    _address(2, 1, " Beijing ", "100000", True, country_code="CN", state="BJ"),
    # Customer 4: the default address is soft deleted, so the live one is used.
    _address(3, 4, "Boston", "02134", False),
    _address(4, 4, "Cambridge", "02139", True, updated_at=utc(2024, 2, 1), deleted_at=utc(2024, 2, 1)),
]


def _product(product_id: int, name: str, price: str) -> dict:
    return {
        "product_id": product_id,
        "sku": f"SKU-{product_id}",
        "product_name": name,
        "category": "Kitchen",
        "unit_price": price,
        "currency": "USD",
        "created_at": utc(2023, 1, 1),
        "updated_at": utc(2023, 1, 1),
        "deleted_at": None,
    }


SHOP_PRODUCTS = [_product(1, "Mug", "10.00"), _product(2, "Tea", "5.50")]


def _order(
    order_id: int, customer_id: int, status: str, shipping: str, ordered_at: datetime, **overrides
) -> dict:
    row = {
        "order_id": order_id,
        "customer_id": customer_id,
        "shipping_address_id": None,
        "order_status": status,
        "currency": "usd ",
        "shipping_amount": shipping,
        "order_total": None,
        "ordered_at": ordered_at,
        "created_at": ordered_at,
        "updated_at": ordered_at,
        "deleted_at": None,
    }
    row.update(overrides)
    return row


SHOP_ORDERS = [
    # Status changes between versions; the latest version is completed.
    _order(1, 1, "pending", "5.00", utc(2024, 3, 1, 23, 30)),
    _order(1, 1, "Completed", "5.00", utc(2024, 3, 1, 23, 30), updated_at=utc(2024, 3, 2)),
    # No items and no payment: kept with zero item totals.
    _order(2, 1, "pending", "4.99", utc(2024, 4, 1, 9, 0)),
    # Soft deleted: left out of the marts with its line.
    _order(3, 2, "completed", "0.00", utc(2024, 3, 5)),
    _order(
        3, 2, "completed", "0.00", utc(2024, 3, 5), updated_at=utc(2024, 3, 6), deleted_at=utc(2024, 3, 6)
    ),
    _order(4, 4, "cancelled", "0.00", utc(2024, 3, 10)),
    _order(5, 5, "completed", "0.00", utc(2024, 3, 20)),
]


def _item(
    item_id: int,
    order_id: int,
    line: int,
    product_id: int,
    quantity: int,
    price: str,
    discount: str | None,
    **overrides,
) -> dict:
    row = {
        "order_item_id": item_id,
        "order_id": order_id,
        "line_number": line,
        "product_id": product_id,
        "quantity": quantity,
        "unit_price": price,
        "discount_amount": discount,
        "created_at": utc(2024, 3, 1),
        "updated_at": utc(2024, 3, 1),
    }
    row.update(overrides)
    return row


SHOP_ORDER_ITEMS = [
    _item(1, 1, 1, 1, 1, "10.00", "1.00"),
    _item(1, 1, 1, 1, 2, "10.00", "1.00", updated_at=utc(2024, 3, 2)),
    _item(2, 1, 2, 2, 1, "5.50", None),
    _item(3, 3, 1, 1, 1, "10.00", "0.00"),
    _item(4, 4, 1, 1, 1, "10.00", "0.00"),
    _item(5, 5, 1, 2, 3, "16.67", "0.01"),
]


def _payment(payment_id: int, order_id: int, status: str, amount: str, **overrides) -> dict:
    row = {
        "payment_id": payment_id,
        "order_id": order_id,
        "payment_method": "Card",
        "payment_status": status,
        "amount": amount,
        "currency": "USD",
        "paid_at": utc(2024, 3, 2),
        "created_at": utc(2024, 3, 2),
        "updated_at": utc(2024, 3, 2),
    }
    row.update(overrides)
    return row


SHOP_PAYMENTS = [
    _payment(1, 1, "Failed", "29.50"),
    _payment(1, 1, "CAPTURED", "29.50", updated_at=utc(2024, 3, 3)),
    # Split payment with a partial refund, a failed attempt and a pending one: 30 + 20 - 5 = 45.
    _payment(2, 5, "captured", "30.00"),
    _payment(3, 5, "captured", "20.00"),
    _payment(4, 5, "refunded", "5.00"),
    _payment(5, 5, "failed", "50.00"),
    _payment(8, 5, "Pending", "50.00"),
    # Cancelled order refunded in full.
    _payment(6, 4, "captured", "10.00"),
    _payment(7, 4, "refunded", "10.00"),
]

SHOP_REVIEWS = [
    {
        "review_id": 1,
        "order_id": 1,
        "customer_id": 1,
        "product_id": 1,
        "rating": 5,
        "title": "Great",
        "body": "Lovely mug",
        "created_at": utc(2024, 3, 5),
        "updated_at": utc(2024, 3, 5),
        "deleted_at": None,
    },
]


def _event(event_id: str, loaded_at: datetime) -> dict:
    return {
        "event_id": event_id,
        "event_type": "Page_View",
        "occurred_at": utc(2024, 3, 1, 12),
        "session_id": "s-1",
        "customer_id": 1,
        "anonymous_id": "anon-1",
        "device_id": "device-0001",
        "ip": "203.0.113.1",
        "page_url": "/products/1",
        "product_id": 1,
        "order_id": None,
        "user_agent": "Mozilla/5.0",
        "properties": None,
        "_loaded_at": loaded_at,
    }


# The same event file loaded twice lands e-1 twice.
SHOP_EVENTS = [_event("e-1", FIRST_LOAD), _event("e-1", SECOND_LOAD), _event("e-2", FIRST_LOAD)]

OLIST_CUSTOMERS = [
    # oc-1 and oc-2 are one person (same customer_unique_id); zips lost their leading zero.
    {
        "customer_id": "oc-1",
        "customer_unique_id": "person-1",
        "customer_zip_code_prefix": "8775",
        "customer_city": "Mogi das Cruzes ",
        "customer_state": "sp",
    },
    {
        "customer_id": "oc-2",
        "customer_unique_id": "person-1",
        "customer_zip_code_prefix": "1001.0",
        "customer_city": "sao paulo",
        "customer_state": "SP",
    },
    {
        "customer_id": "oc-3",
        "customer_unique_id": "person-2",
        "customer_zip_code_prefix": "12345",
        "customer_city": "campinas",
        "customer_state": "SP",
    },
    {
        "customer_id": "oc-4",
        "customer_unique_id": "person-3",
        "customer_zip_code_prefix": "99999",
        "customer_city": "passo fundo",
        "customer_state": "RS",
    },
]


def _olist_order(order_id: str, customer_id: str, status: str, purchased: str, **overrides) -> dict:
    row = {
        "order_id": order_id,
        "customer_id": customer_id,
        "order_status": status,
        "order_purchase_timestamp": purchased,
        "order_approved_at": purchased,
        "order_delivered_carrier_date": None,
        "order_delivered_customer_date": None,
        "order_estimated_delivery_date": None,
        "_loaded_at": FIRST_LOAD,
        "_batch_id": "olist-1",
    }
    row.update(overrides)
    return row


OLIST_ORDERS = [
    # Wall-clock time skipped when Sao Paulo moved to daylight saving time (2017-10-15 00:00).
    _olist_order("oo-1", "oc-1", "delivered", "2017-10-15 00:30:00"),
    # Repeated hour when daylight saving time ended (2018-02-18 00:00 back to 23:00).
    _olist_order("oo-2", "oc-2", "delivered", "2018-02-17 23:30:00"),
    # Loaded again in a later export with a new status: the later load wins.
    _olist_order("oo-3", "oc-3", "shipped", "2018-07-01 12:00:00"),
    _olist_order(
        "oo-3", "oc-3", "delivered", "2018-07-01 12:00:00", _loaded_at=SECOND_LOAD, _batch_id="olist-2"
    ),
    # Cancelled order without items but with a payment: its money must still be counted.
    _olist_order("oo-4", "oc-4", "canceled", "2018-08-01 10:00:00"),
    # Unavailable order without items or payments.
    _olist_order("oo-5", "oc-3", "unavailable", "2018-03-01 09:00:00"),
]

# order_id: expected ordered_at in UTC
OLIST_ORDERED_AT_UTC = {
    "oo-1": utc(2017, 10, 15, 3, 30),
    "oo-2": utc(2018, 2, 18, 2, 30),
    "oo-3": utc(2018, 7, 1, 15, 0),
}


def _olist_item(
    order_id: str, item_id: int, product_id: str, seller_id: str, price: str, freight: str, **overrides
) -> dict:
    row = {
        "order_id": order_id,
        "order_item_id": item_id,
        "product_id": product_id,
        "seller_id": seller_id,
        "shipping_limit_date": "2018-01-01 10:00:00",
        "price": price,
        "freight_value": freight,
        "_loaded_at": FIRST_LOAD,
        "_batch_id": "olist-1",
    }
    row.update(overrides)
    return row


OLIST_ORDER_ITEMS = [
    _olist_item("oo-1", 1, "op-1", "os-1", "100.10", "10.01"),
    _olist_item("oo-1", 2, "op-2", "os-2", "50.05", "10.01"),
    _olist_item("oo-2", 1, "op-1", "os-1", "19.99", "0.00"),
    _olist_item("oo-3", 1, "op-2", "os-2", "30.00", "5.55"),
    _olist_item("oo-3", 1, "op-2", "os-2", "30.00", "5.55", _loaded_at=SECOND_LOAD, _batch_id="olist-2"),
]


def _olist_payment(order_id: str, sequential: int, payment_type: str, value: str, **overrides) -> dict:
    row = {
        "order_id": order_id,
        "payment_sequential": sequential,
        "payment_type": payment_type,
        "payment_installments": 1,
        "payment_value": value,
        "_loaded_at": FIRST_LOAD,
        "_batch_id": "olist-1",
    }
    row.update(overrides)
    return row


OLIST_ORDER_PAYMENTS = [
    # Split payment: voucher plus card.
    _olist_payment("oo-1", 1, "voucher", "20.00"),
    _olist_payment("oo-1", 2, "credit_card", "150.17"),
    _olist_payment("oo-2", 1, "boleto", "19.99"),
    _olist_payment("oo-3", 1, "credit_card", "35.55"),
    _olist_payment("oo-3", 1, "credit_card", "35.55", _loaded_at=SECOND_LOAD, _batch_id="olist-2"),
    _olist_payment("oo-4", 1, "credit_card", "15.10"),
]

# Distinct payment parts: 20.00 + 150.17 + 19.99 + 35.55 + 15.10
OLIST_PAYMENT_TOTAL = "240.81"


def _olist_review(review_id: str, order_id: str, score: int) -> dict:
    return {
        "review_id": review_id,
        "order_id": order_id,
        "review_score": score,
        "review_comment_title": None,
        "review_comment_message": "bom",
        "review_creation_date": "2018-03-01 00:00:00",
        "review_answer_timestamp": "2018-03-02 10:00:00",
    }


# rv-1 is shared by two orders, and its row for oo-1 is repeated in the file.
OLIST_ORDER_REVIEWS = [
    _olist_review("rv-1", "oo-1", 5),
    _olist_review("rv-1", "oo-2", 4),
    _olist_review("rv-1", "oo-1", 5),
]

OLIST_PRODUCTS = [
    {
        "product_id": "op-1",
        "product_category_name": "beleza_saude",
        "product_name_lenght": 40,
        "product_description_lenght": 300,
        "product_photos_qty": 1,
        "product_weight_g": 500,
        "product_length_cm": 20,
        "product_height_cm": 10,
        "product_width_cm": 15,
    },
    {
        "product_id": "op-2",
        "product_category_name": "portateis_cozinha_e_preparadores_de_alimentos",
        "product_name_lenght": None,
        "product_description_lenght": None,
        "product_photos_qty": None,
        "product_weight_g": 800,
        "product_length_cm": 30,
        "product_height_cm": 20,
        "product_width_cm": 20,
    },
]

OLIST_SELLERS = [
    {"seller_id": "os-1", "seller_zip_code_prefix": "1234", "seller_city": "sp / sp", "seller_state": "SP"},
    {"seller_id": "os-2", "seller_zip_code_prefix": "13023", "seller_city": "campinas", "seller_state": "SP"},
]

OLIST_TRANSLATIONS = [
    {"product_category_name": "beleza_saude", "product_category_name_english": "health_beauty"}
]

OLIST_GEOLOCATION = [
    {
        "geolocation_zip_code_prefix": "1037",
        "geolocation_lat": -23.54,
        "geolocation_lng": -46.63,
        "geolocation_city": "sao paulo",
        "geolocation_state": "SP",
    },
    {
        "geolocation_zip_code_prefix": "1037",
        "geolocation_lat": -23.54,
        "geolocation_lng": -46.63,
        "geolocation_city": "sao paulo",
        "geolocation_state": "SP",
    },
    {
        "geolocation_zip_code_prefix": "1037",
        "geolocation_lat": -23.55,
        "geolocation_lng": -46.64,
        "geolocation_city": "são paulo",
        "geolocation_state": "SP",
    },
]

SHOP_TABLES = {
    "shop_customers": SHOP_CUSTOMERS,
    "shop_addresses": SHOP_ADDRESSES,
    "shop_products": SHOP_PRODUCTS,
    "shop_orders": SHOP_ORDERS,
    "shop_order_items": SHOP_ORDER_ITEMS,
    "shop_payments": SHOP_PAYMENTS,
    "shop_reviews": SHOP_REVIEWS,
}

OLIST_TABLES = {
    "olist_customers": OLIST_CUSTOMERS,
    "olist_orders": OLIST_ORDERS,
    "olist_order_items": OLIST_ORDER_ITEMS,
    "olist_order_payments": OLIST_ORDER_PAYMENTS,
    "olist_order_reviews": OLIST_ORDER_REVIEWS,
    "olist_products": OLIST_PRODUCTS,
    "olist_sellers": OLIST_SELLERS,
    "olist_product_category_name_translation": OLIST_TRANSLATIONS,
    "olist_geolocation": OLIST_GEOLOCATION,
}
