#!/bin/sh
# Regenerates events.jsonl (sh generate.sh > events.jsonl): IoT readings from 8 devices over one hour,
# mostly in order, some a few minutes late, a few anomalies over 100
# degrees. Deterministic: the same file every time.
gawk 'BEGIN {
	seed = 42
	t0 = 1714557600   # 2024-05-01 10:00:00 UTC
	for (i = 0; i < 2000; i++) {
		seed = (seed * 1103515245 + 12345) % 2147483648; r1 = seed / 2147483648
		seed = (seed * 1103515245 + 12345) % 2147483648; r2 = seed / 2147483648
		seed = (seed * 1103515245 + 12345) % 2147483648; r3 = seed / 2147483648
		dev = int(r1 * 8) + 1
		t = t0 + int(i * 1.8)
		if (r2 < 0.05) t -= int(r3 * 600)          # late by up to 10 minutes
		temp = 20 + dev + r2 * 5
		if (r3 > 0.99) temp = 100 + r2 * 20         # anomaly
		hum = 40 + r3 * 20
		printf "{\"device_id\":\"sensor-%02d\",\"temperature\":%.2f,\"humidity\":%.1f,\"timestamp\":\"%s\"}\n", dev, temp, hum, strftime("%Y-%m-%dT%H:%M:%SZ", t, 1)
	}
}'
