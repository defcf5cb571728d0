"""Notifications out (issue 20): subscriptions to dataflows and their webhook deliveries."""
