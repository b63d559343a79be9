"""Identity resolution: link customer accounts into persons with stable keys and golden records."""

from customer_warehouse.identity.frame import FRAME_COLUMNS, olist_identity_frame, shop_identity_frame
from customer_warehouse.identity.resolve import IdentityRun, resolve_identities

__all__ = [
    "FRAME_COLUMNS",
    "IdentityRun",
    "olist_identity_frame",
    "resolve_identities",
    "shop_identity_frame",
]
