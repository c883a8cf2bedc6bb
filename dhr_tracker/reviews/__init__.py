"""Reviews: notification to closure. So far the pure parts, the lifecycle and the deadlines."""
