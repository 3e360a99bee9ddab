package metrics

import "github.com/prometheus/client_golang/prometheus"

// StallReasons are the values of complaintd_consumer_stalled's reason.
var StallReasons = []string{"idle_with_lag", "partitions_stalled", "group_unreadable"}

// registerGroup creates the collectors of the stall watchdog, which looks
// at the consumer group from outside the reader.
func (p *Pipeline) registerGroup(reg prometheus.Registerer) {
	p.Stalled = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace, Name: "consumer_stalled",
		Help: "1 while the stall watchdog sees the reason: idle_with_lag (this worker fetched nothing for longer than the bound while the group has lag; it reports not ready), partitions_stalled (the group left partitions with lag uncommitted for longer than the bound), group_unreadable (the group's committed offsets could not be read, and this worker fetched nothing, for longer than the bound; it reports not ready).",
	}, []string{"reason"})
	p.GroupLag = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Name: "group_lag_messages",
		Help: "Messages of the complaints topic past the group's committed offsets, all partitions, at the watchdog's last look. Every worker sees the same group: take the max across workers, not the sum.",
	})
	p.GroupRejoins = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Name: "group_rejoins_total",
		Help: "Times the stall watchdog made this worker leave and rejoin the consumer group.",
	})
	reg.MustRegister(p.Stalled, p.GroupLag, p.GroupRejoins)
	for _, r := range StallReasons {
		p.Stalled.WithLabelValues(r)
	}
}
