// Package suggest finds the name a mistyped one was probably meant to be,
// for "did you mean" hints in error messages.
package suggest

import "strings"

// Closest returns the candidate nearest to s by edit distance, case
// ignored, when it is near enough to be a typo of s: at most a third of
// the candidate's letters differ (at least 1, at most 3). It returns ""
// when none is; of equally near candidates, the first.
func Closest(s string, candidates []string) string {
	from := []rune(strings.ToLower(s))
	best, bestDist := "", 0
	for _, c := range candidates {
		to := []rune(strings.ToLower(c))
		d := distance(from, to)
		if d <= max(1, min(3, len(to)/3)) && (best == "" || d < bestDist) {
			best, bestDist = c, d
		}
	}
	return best
}

// distance is the Levenshtein distance of a and b: the fewest inserted,
// deleted or replaced letters that turn one into the other.
func distance(a, b []rune) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
