"""`orderledger bench`: the network's hot paths, measured against a bare endpoint's ceiling."""
