"""Handing work to delivery bots and staff: the queue, claims and what a claim carries."""
