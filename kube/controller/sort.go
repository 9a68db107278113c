package controller

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// sortOldestFirst orders pods by creation time, then name.
func sortOldestFirst(pods []corev1.Pod) {
	slices.SortFunc(pods, func(a, b corev1.Pod) int {
		if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
}
