package metrics

// Usage is what one guest's cgroup counts. A limit of zero is none.
type Usage struct {
	CPUSeconds       float64 `json:"cpu_seconds"`
	MemoryBytes      uint64  `json:"memory_bytes"`
	MemoryLimitBytes uint64  `json:"memory_limit_bytes"`
	SwapBytes        uint64  `json:"swap_bytes"`
	Pids             uint64  `json:"pids"`
	PidsLimit        uint64  `json:"pids_limit"`
	OOMKills         uint64  `json:"oom_kills"`
	IOReadBytes      uint64  `json:"io_read_bytes"`
	IOWriteBytes     uint64  `json:"io_write_bytes"`
}

// NetUsage is what a guest's network interface counted, from the guest's
// side: received is what came to the guest.
type NetUsage struct {
	ReceiveBytes    uint64 `json:"receive_bytes"`
	TransmitBytes   uint64 `json:"transmit_bytes"`
	ReceivePackets  uint64 `json:"receive_packets"`
	TransmitPackets uint64 `json:"transmit_packets"`
}
