package objects

import (
	"strings"
	"time"

	"github.com/ceap/ceap/internal/awserr"
)

// Lifecycle limits of S3.
const (
	// MaxLifecycleRules is S3's limit of rules in one lifecycle configuration.
	MaxLifecycleRules = 1000
	// maxRuleIDLen is S3's limit on the length of a rule's ID.
	maxRuleIDLen = 255
)

// Rule statuses.
const (
	StatusEnabled  = "Enabled"
	StatusDisabled = "Disabled"
)

// Lifecycle is a bucket's lifecycle configuration.
type Lifecycle struct {
	Rules []Rule
}

// Rule is one lifecycle rule. Exactly one of Filter and Prefix (the legacy form) is set.
type Rule struct {
	ID     string
	Status string
	// Prefix is the legacy top-level prefix; nil when the rule has a Filter.
	Prefix *string
	Filter *Filter
	// Expiration acts on current versions (and, with ExpiredObjectDeleteMarker, on lone markers).
	Expiration *Expiration
	// NoncurrentVersionExpiration acts on noncurrent versions.
	NoncurrentVersionExpiration *NoncurrentExpiration
	// AbortIncompleteMultipartUpload acts on uploads never completed.
	AbortIncompleteMultipartUpload *AbortIncomplete
}

// Filter selects the objects a rule applies to. An empty filter selects every object.
type Filter struct {
	Prefix                *string
	Tag                   *Tag
	ObjectSizeGreaterThan *int64
	ObjectSizeLessThan    *int64
	And                   *AndFilter
}

// AndFilter combines several conditions; all must hold.
type AndFilter struct {
	Prefix                *string
	Tags                  []Tag
	ObjectSizeGreaterThan *int64
	ObjectSizeLessThan    *int64
}

// Tag is one key/value tag.
type Tag struct {
	Key   string
	Value string
}

// Expiration expires current versions after Days or at Date, or removes expired delete markers.
type Expiration struct {
	Days                      *int
	Date                      *time.Time
	ExpiredObjectDeleteMarker *bool
}

// NoncurrentExpiration expires versions NoncurrentDays after they became noncurrent, keeping the
// NewerNoncurrentVersions most recent ones.
type NoncurrentExpiration struct {
	NoncurrentDays          int
	NewerNoncurrentVersions *int
}

// AbortIncomplete aborts multipart uploads DaysAfterInitiation after they started.
type AbortIncomplete struct {
	DaysAfterInitiation int
}

func malformed() *awserr.Error {
	return awserr.New("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
}

// Validate checks the configuration as PutBucketLifecycleConfiguration does and returns the
// *awserr.Error S3 answers for the first fault.
func (l *Lifecycle) Validate() error {
	if len(l.Rules) == 0 || len(l.Rules) > MaxLifecycleRules {
		return malformed()
	}
	ids := map[string]bool{}
	for i := range l.Rules {
		r := &l.Rules[i]
		if len(r.ID) > maxRuleIDLen {
			return awserr.New("InvalidArgument", "ID length should not exceed allowed limit of %d", maxRuleIDLen)
		}
		if r.ID != "" {
			if ids[r.ID] {
				return awserr.New("InvalidArgument", "Rule ID must be unique. Found same ID for more than one rule")
			}
			ids[r.ID] = true
		}
		if err := r.validate(); err != nil {
			return err
		}
	}
	return nil
}

func (r *Rule) validate() error {
	if r.Status != StatusEnabled && r.Status != StatusDisabled {
		return malformed()
	}
	if (r.Prefix == nil) == (r.Filter == nil) {
		return malformed()
	}
	hasTags, hasSize := false, false
	if f := r.Filter; f != nil {
		set := 0
		for _, ok := range []bool{f.Prefix != nil, f.Tag != nil, f.ObjectSizeGreaterThan != nil, f.ObjectSizeLessThan != nil, f.And != nil} {
			if ok {
				set++
			}
		}
		if set > 1 {
			return malformed()
		}
		hasTags = f.Tag != nil
		hasSize = f.ObjectSizeGreaterThan != nil || f.ObjectSizeLessThan != nil
		if a := f.And; a != nil {
			hasTags = len(a.Tags) > 0
			hasSize = a.ObjectSizeGreaterThan != nil || a.ObjectSizeLessThan != nil
			keys := map[string]bool{}
			for _, t := range a.Tags {
				if keys[t.Key] {
					return awserr.New("InvalidRequest", "Duplicate Tag Keys are not allowed.")
				}
				keys[t.Key] = true
			}
			if a.ObjectSizeGreaterThan != nil && a.ObjectSizeLessThan != nil && *a.ObjectSizeGreaterThan >= *a.ObjectSizeLessThan {
				return awserr.New("InvalidArgument", "ObjectSizeGreaterThan must be less than ObjectSizeLessThan in and operator")
			}
		}
		for _, v := range []*int64{f.ObjectSizeGreaterThan, f.ObjectSizeLessThan} {
			if v != nil && *v < 0 {
				return awserr.New("InvalidArgument", "Object size must be a non-negative integer")
			}
		}
	}
	if r.Expiration == nil && r.NoncurrentVersionExpiration == nil && r.AbortIncompleteMultipartUpload == nil {
		return awserr.New("InvalidRequest", "At least one action needs to be specified in a rule")
	}
	if e := r.Expiration; e != nil {
		set := 0
		for _, ok := range []bool{e.Days != nil, e.Date != nil, e.ExpiredObjectDeleteMarker != nil} {
			if ok {
				set++
			}
		}
		if set != 1 {
			return malformed()
		}
		if e.Days != nil && *e.Days <= 0 {
			return awserr.New("InvalidArgument", "'Days' for Expiration action must be a positive integer")
		}
		if e.Date != nil && !e.Date.UTC().Equal(midnight(*e.Date)) {
			return awserr.New("InvalidArgument", "'Date' must be at midnight GMT")
		}
		if e.ExpiredObjectDeleteMarker != nil && hasTags {
			return awserr.New("InvalidRequest", "ExpiredObjectDeleteMarker cannot be specified with object tags")
		}
	}
	if n := r.NoncurrentVersionExpiration; n != nil {
		if n.NoncurrentDays <= 0 {
			return awserr.New("InvalidArgument", "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer")
		}
		if n.NewerNoncurrentVersions != nil && (*n.NewerNoncurrentVersions <= 0 || *n.NewerNoncurrentVersions > 100) {
			return awserr.New("InvalidArgument", "'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must be a positive integer no greater than 100")
		}
	}
	if a := r.AbortIncompleteMultipartUpload; a != nil {
		if a.DaysAfterInitiation <= 0 {
			return awserr.New("InvalidArgument", "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer")
		}
		if hasTags || hasSize {
			return awserr.New("InvalidRequest", "AbortIncompleteMultipartUpload cannot be specified with Tags or ObjectSize filters.")
		}
	}
	return nil
}

// midnight returns the start of t's day in UTC.
func midnight(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// AfterDays returns when something that started at t expires after days, as S3 computes it: t plus
// the days, rounded up to the next midnight UTC.
func AfterDays(t time.Time, days int) time.Time {
	return midnight(t.AddDate(0, 0, days)).AddDate(0, 0, 1)
}

// Enabled reports whether the rule acts.
func (r *Rule) Enabled() bool { return r.Status == StatusEnabled }

// prefix returns the prefix condition of the rule, "" for none.
func (r *Rule) prefix() string {
	switch {
	case r.Prefix != nil:
		return *r.Prefix
	case r.Filter == nil:
		return ""
	case r.Filter.Prefix != nil:
		return *r.Filter.Prefix
	case r.Filter.And != nil && r.Filter.And.Prefix != nil:
		return *r.Filter.And.Prefix
	}
	return ""
}

// Candidate is what rule matching needs to know of an object version.
type Candidate struct {
	Key  string
	Size int64
	Tags []Tag
}

// Matches reports whether the rule's filter selects the object (whatever the rule's status).
func (r *Rule) Matches(c Candidate) bool {
	if !strings.HasPrefix(c.Key, r.prefix()) {
		return false
	}
	f := r.Filter
	if f == nil {
		return true
	}
	if f.Tag != nil && !hasTag(c.Tags, *f.Tag) {
		return false
	}
	if !sizeMatches(c.Size, f.ObjectSizeGreaterThan, f.ObjectSizeLessThan) {
		return false
	}
	if a := f.And; a != nil {
		for _, t := range a.Tags {
			if !hasTag(c.Tags, t) {
				return false
			}
		}
		if !sizeMatches(c.Size, a.ObjectSizeGreaterThan, a.ObjectSizeLessThan) {
			return false
		}
	}
	return true
}

func hasTag(tags []Tag, want Tag) bool {
	for _, t := range tags {
		if t == want {
			return true
		}
	}
	return false
}

func sizeMatches(size int64, gt, lt *int64) bool {
	return (gt == nil || size > *gt) && (lt == nil || size < *lt)
}

// Expiry is when a lifecycle rule expires an object, and which rule does.
type Expiry struct {
	At     time.Time
	RuleID string
}

// CurrentExpiry returns the earliest expiry that the enabled rules give a current object version
// created at created, and false when no rule expires it. This is what x-amz-expiration reports.
func (l *Lifecycle) CurrentExpiry(c Candidate, created time.Time) (Expiry, bool) {
	var best Expiry
	found := false
	if l == nil {
		return best, false
	}
	for i := range l.Rules {
		r := &l.Rules[i]
		if !r.Enabled() || r.Expiration == nil || !r.Matches(c) {
			continue
		}
		var at time.Time
		switch e := r.Expiration; {
		case e.Days != nil:
			at = AfterDays(created, *e.Days)
		case e.Date != nil:
			at = e.Date.UTC()
		default:
			continue
		}
		if !found || at.Before(best.At) {
			best, found = Expiry{At: at, RuleID: r.ID}, true
		}
	}
	return best, found
}

// NoncurrentExpiry returns when a version that became noncurrent at since expires, given that
// newer noncurrent versions of the same key exist; false when no rule expires it.
func (l *Lifecycle) NoncurrentExpiry(c Candidate, since time.Time, newer int) (Expiry, bool) {
	var best Expiry
	found := false
	if l == nil {
		return best, false
	}
	for i := range l.Rules {
		r := &l.Rules[i]
		n := r.NoncurrentVersionExpiration
		if !r.Enabled() || n == nil || !r.Matches(c) {
			continue
		}
		if n.NewerNoncurrentVersions != nil && newer < *n.NewerNoncurrentVersions {
			continue
		}
		at := AfterDays(since, n.NoncurrentDays)
		if !found || at.Before(best.At) {
			best, found = Expiry{At: at, RuleID: r.ID}, true
		}
	}
	return best, found
}

// DeleteMarkerExpiry returns when a delete marker on key, created at created and with no
// noncurrent versions left, is removed: at once under ExpiredObjectDeleteMarker, or once it is as
// old as a Days (or past a Date) expiration requires, as S3 documents; false for never.
func (l *Lifecycle) DeleteMarkerExpiry(key string, created time.Time) (Expiry, bool) {
	var best Expiry
	found := false
	if l == nil {
		return best, false
	}
	for i := range l.Rules {
		r := &l.Rules[i]
		e := r.Expiration
		if !r.Enabled() || e == nil || !r.Matches(Candidate{Key: key}) {
			continue
		}
		var at time.Time
		switch {
		case e.ExpiredObjectDeleteMarker != nil && *e.ExpiredObjectDeleteMarker:
			at = created
		case e.Days != nil:
			at = AfterDays(created, *e.Days)
		case e.Date != nil:
			at = e.Date.UTC()
		default:
			continue
		}
		if !found || at.Before(best.At) {
			best, found = Expiry{At: at, RuleID: r.ID}, true
		}
	}
	return best, found
}

// UploadAbortAt returns when an upload of key initiated at initiated is aborted; false for never.
func (l *Lifecycle) UploadAbortAt(key string, initiated time.Time) (Expiry, bool) {
	var best Expiry
	found := false
	if l == nil {
		return best, false
	}
	for i := range l.Rules {
		r := &l.Rules[i]
		a := r.AbortIncompleteMultipartUpload
		if !r.Enabled() || a == nil || !strings.HasPrefix(key, r.prefix()) {
			continue
		}
		at := AfterDays(initiated, a.DaysAfterInitiation)
		if !found || at.Before(best.At) {
			best, found = Expiry{At: at, RuleID: r.ID}, true
		}
	}
	return best, found
}
