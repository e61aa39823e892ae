// rtlat: per-task real-time latency metrics from ftrace traces (placeholder while the CLI lands).
int main() { return 0; }
