package metrics

import (
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// sample is one value of a collected metric. Unlike a
// prometheus.MustNewConstMetric it shares its label pairs with the other
// samples of its guest, made once per scrape: with 1,000 guests, that is
// most of what a scrape would allocate.
type sample struct {
	desc   *prometheus.Desc
	typ    prometheus.ValueType
	value  float64
	labels []*dto.LabelPair // sorted by name; not to be changed
}

// Desc implements prometheus.Metric.
func (s *sample) Desc() *prometheus.Desc { return s.desc }

// Write implements prometheus.Metric.
func (s *sample) Write(m *dto.Metric) error {
	m.Label = s.labels
	v := s.value
	if s.typ == prometheus.CounterValue {
		m.Counter = &dto.Counter{Value: &v}
	} else {
		m.Gauge = &dto.Gauge{Value: &v}
	}
	return nil
}

// labelPairs returns the pairs of names and values, sorted by name.
func labelPairs(names, values []string) []*dto.LabelPair {
	pairs := make([]*dto.LabelPair, len(names))
	for i := range names {
		pairs[i] = &dto.LabelPair{Name: &names[i], Value: &values[i]}
	}
	slices.SortFunc(pairs, func(a, b *dto.LabelPair) int { return strings.Compare(a.GetName(), b.GetName()) })
	return pairs
}

// guestSeries makes the samples of one guest, with its labels.
type guestSeries struct {
	ch     chan<- prometheus.Metric
	labels []*dto.LabelPair
}

// gauge and counter send one sample of the guest.
func (g guestSeries) gauge(d *prometheus.Desc, v float64) {
	g.ch <- &sample{desc: d, typ: prometheus.GaugeValue, value: v, labels: g.labels}
}

func (g guestSeries) counter(d *prometheus.Desc, v float64) {
	g.ch <- &sample{desc: d, typ: prometheus.CounterValue, value: v, labels: g.labels}
}
