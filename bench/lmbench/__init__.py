"""libmatch benchmark harness: data sets, metrics, peers."""
