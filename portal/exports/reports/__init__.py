"""Billing reports made in the background: the report files kept for 7 days ("My reports"),
their job on the queue, and the monthly delivery by email."""
