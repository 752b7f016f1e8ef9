"""The gRPC conventions the hub and its clients share: error statuses and (client side) channels."""
