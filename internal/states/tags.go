package states

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/store"
)

func encodeToken(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func decodeToken(t string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(t)
	if err != nil {
		return "", awserr.New("InvalidToken", "Invalid Token: '%s'", t)
	}
	return string(b), nil
}

// taggable loads the stored document of a state machine or activity for tagging.
func (s *Service) taggable(ctx context.Context, c Caller, arn string) (*store.StateResource, map[string]json.RawMessage, error) {
	a, ok := parseARN(arn)
	if !ok || (a.Type != "stateMachine" && a.Type != "activity") || (a.Type == "stateMachine" && a.isVersion()) {
		return nil, nil, invalidARN(arn)
	}
	if a.Account != c.Account {
		return nil, nil, resourceNotFound(arn)
	}
	r, err := s.st.StateResourceGet(ctx, &store.StateResourceGetParams{ARN: arn})
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, resourceNotFound(arn)
	}
	if err != nil {
		return nil, nil, err
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(r.Doc, &doc); err != nil {
		return nil, nil, fmt.Errorf("decode %s: %w", arn, err)
	}
	return r, doc, nil
}

func docTags(doc map[string]json.RawMessage) []Tag {
	var tags []Tag
	if raw, ok := doc["tags"]; ok {
		json.Unmarshal(raw, &tags)
	}
	return tags
}

// ListTagsForResource returns the tags of a state machine, alias or activity.
func (s *Service) ListTagsForResource(ctx context.Context, c Caller, arn string) ([]Tag, error) {
	_, doc, err := s.taggable(ctx, c, arn)
	if err != nil {
		return nil, err
	}
	return docTags(doc), nil
}

// TagResource adds or replaces tags.
func (s *Service) TagResource(ctx context.Context, c Caller, arn string, tags []Tag) error {
	return s.retag(ctx, c, arn, func(old []Tag) ([]Tag, error) {
		out := append([]Tag(nil), old...)
		for _, t := range tags {
			replaced := false
			for i := range out {
				if out[i].Key == t.Key {
					out[i].Value, replaced = t.Value, true
				}
			}
			if !replaced {
				out = append(out, t)
			}
		}
		return out, checkTags(out)
	})
}

// UntagResource removes tags by key.
func (s *Service) UntagResource(ctx context.Context, c Caller, arn string, keys []string) error {
	return s.retag(ctx, c, arn, func(old []Tag) ([]Tag, error) {
		var out []Tag
		for _, t := range old {
			drop := false
			for _, k := range keys {
				drop = drop || t.Key == k
			}
			if !drop {
				out = append(out, t)
			}
		}
		return out, nil
	})
}

func (s *Service) retag(ctx context.Context, c Caller, arn string, fn func([]Tag) ([]Tag, error)) error {
	for attempt := 0; ; attempt++ {
		r, doc, err := s.taggable(ctx, c, arn)
		if err != nil {
			return err
		}
		tags, err := fn(docTags(doc))
		if err != nil {
			return err
		}
		doc["tags"] = marshal(tags)
		r.Doc = marshal(doc)
		err = s.writeResources(ctx, &store.StateResourcesWriteParams{Puts: []*store.StateResource{r}})
		if errors.Is(err, store.ErrConflict) && attempt < 5 {
			continue
		}
		if err != nil {
			return fmt.Errorf("tag %s: %w", arn, err)
		}
		return nil
	}
}
