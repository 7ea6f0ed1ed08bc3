package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/ceap/ceap/internal/store"
)

// TestTopics covers the topic and subscription methods.
func TestTopics(t *testing.T) {
	Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		topic := func(name string) *store.TopicRow {
			return &store.TopicRow{ARN: "arn:aws:sns:us-east-1:a:" + name, Account: "a", Name: name, Attributes: []byte(`{}`), Tags: []byte(`{}`), Created: 1}
		}
		for _, n := range []string{"t2", "t1"} {
			if err := s.TopicCreate(ctx, topic(n)); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.TopicCreate(ctx, topic("t1")); !errors.Is(err, store.ErrAlreadyExists) {
			t.Fatalf("duplicate: %v", err)
		}
		list, err := s.TopicList(ctx, &store.TopicListParams{Account: "a", Limit: 1})
		if err != nil || len(list) != 1 || list[0].Name != "t1" {
			t.Fatalf("list = %v, %v", list, err)
		}
		list, _ = s.TopicList(ctx, &store.TopicListParams{Account: "a", After: list[0].ARN})
		if len(list) != 1 || list[0].Name != "t2" {
			t.Fatalf("list page 2 = %v", list)
		}
		up := topic("t1")
		up.Attributes = []byte(`{"DisplayName":"x"}`)
		if err := s.TopicUpdate(ctx, up); err != nil {
			t.Fatal(err)
		}
		got, err := s.TopicGet(ctx, up.ARN)
		if err != nil || string(got.Attributes) != `{"DisplayName":"x"}` {
			t.Fatalf("get = %+v, %v", got, err)
		}

		sub := func(arn, topicARN string) *store.SubscriptionRow {
			return &store.SubscriptionRow{ARN: arn, Account: "a", TopicARN: topicARN, Protocol: "sqs", Endpoint: "arn:aws:sqs:us-east-1:a:q", Owner: "a", Attributes: []byte(`{}`), Token: "tok", Created: 2}
		}
		if err := s.SubscriptionCreate(ctx, sub("s1", topic("t1").ARN)); err != nil {
			t.Fatal(err)
		}
		if err := s.SubscriptionCreate(ctx, sub("s2", topic("t2").ARN)); err != nil {
			t.Fatal(err)
		}
		if err := s.SubscriptionCreate(ctx, sub("s3", "arn:aws:sns:us-east-1:a:none")); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("subscribe to missing topic: %v", err)
		}
		subs, err := s.SubscriptionList(ctx, &store.SubscriptionListParams{Account: "a", TopicARN: topic("t1").ARN})
		if err != nil || len(subs) != 1 || subs[0].ARN != "s1" || subs[0].Confirmed {
			t.Fatalf("list by topic = %v, %v", subs, err)
		}
		s1 := subs[0]
		s1.Confirmed, s1.Token = true, ""
		if err := s.SubscriptionUpdate(ctx, s1); err != nil {
			t.Fatal(err)
		}
		if g, _ := s.SubscriptionGet(ctx, "s1"); !g.Confirmed || g.Token != "" {
			t.Fatalf("after confirm = %+v", g)
		}
		if err := s.TopicDelete(ctx, topic("t1").ARN); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SubscriptionGet(ctx, "s1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("subscription outlived its topic: %v", err)
		}
		all, _ := s.SubscriptionList(ctx, &store.SubscriptionListParams{Account: "a"})
		if len(all) != 1 || all[0].ARN != "s2" {
			t.Fatalf("all subscriptions = %v", all)
		}
		if err := s.SubscriptionDelete(ctx, "s2"); err != nil {
			t.Fatal(err)
		}
		if err := s.SubscriptionDelete(ctx, "s2"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("delete twice: %v", err)
		}
	})
}
