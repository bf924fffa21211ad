"""What auditors read: an order's full history and an account's statement, from the events."""
