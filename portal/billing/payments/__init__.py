"""The prepaid account's money in and out: deposits paid by QR-bill and bank statement,
payouts approved by staff and exported for the bank or PayPal."""
