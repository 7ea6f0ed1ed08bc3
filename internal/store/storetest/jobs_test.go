package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/ceap/ceap/internal/store"
)

func jobRun(id string, started int64) *store.JobRunRow {
	return &store.JobRunRow{Account: "a", JobName: "etl", ID: id, State: "STARTING", Spec: []byte(`{}`), Started: started, Modified: started, Owner: "n1", LeaseUntil: started + 100}
}

// TestJobs covers the Job and JobRun methods.
func TestJobs(t *testing.T) {
	Each(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		for _, n := range []string{"etl", "aaa"} {
			if err := s.JobCreate(ctx, &store.JobCreateParams{Row: &store.JobRow{Account: "a", Name: n, Spec: []byte(`{"v":1}`), Created: 1, Modified: 1}}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.JobCreate(ctx, &store.JobCreateParams{Row: &store.JobRow{Account: "a", Name: "etl", Spec: []byte(`{}`)}}); !errors.Is(err, store.ErrAlreadyExists) {
			t.Fatalf("duplicate job: %v", err)
		}
		if err := s.JobUpdate(ctx, &store.JobUpdateParams{Row: &store.JobRow{Account: "a", Name: "etl", Spec: []byte(`{"v":2}`), Modified: 2}}); err != nil {
			t.Fatal(err)
		}
		j, err := s.JobGet(ctx, &store.JobGetParams{Account: "a", Name: "etl"})
		if err != nil || string(j.Spec) != `{"v":2}` || j.Created != 1 || j.Modified != 2 {
			t.Fatalf("job = %+v, %v", j, err)
		}
		if err := s.JobUpdate(ctx, &store.JobUpdateParams{Row: &store.JobRow{Account: "a", Name: "nope"}}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("update missing: %v", err)
		}
		list, err := s.JobList(ctx, &store.JobListParams{Account: "a", Limit: 1})
		if err != nil || len(list) != 1 || list[0].Name != "aaa" {
			t.Fatalf("list = %v, %v", list, err)
		}

		if err := s.JobRunCreate(ctx, &store.JobRunCreateParams{Row: jobRun("jr_1", 10), MaxActive: 2}); err != nil {
			t.Fatal(err)
		}
		if err := s.JobRunCreate(ctx, &store.JobRunCreateParams{Row: jobRun("jr_2", 20), MaxActive: 2}); err != nil {
			t.Fatal(err)
		}
		if err := s.JobRunCreate(ctx, &store.JobRunCreateParams{Row: jobRun("jr_3", 30), MaxActive: 2}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("third active run: %v, want ErrConflict", err)
		}
		missing := jobRun("jr_x", 1)
		missing.JobName = "nope"
		if err := s.JobRunCreate(ctx, &store.JobRunCreateParams{Row: missing, MaxActive: 1}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("run of a missing job: %v", err)
		}
		done := jobRun("jr_1", 10)
		done.State, done.Completed, done.ExecutionTime, done.ErrorMessage = "FAILED", 15, 5, "boom"
		if err := s.JobRunUpdate(ctx, &store.JobRunUpdateParams{Row: done, IfStates: []string{"STARTING", "RUNNING"}}); err != nil {
			t.Fatal(err)
		}
		if err := s.JobRunUpdate(ctx, &store.JobRunUpdateParams{Row: done, IfStates: []string{"STARTING", "RUNNING"}}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("update of a finished run: %v", err)
		}
		if err := s.JobRunUpdate(ctx, &store.JobRunUpdateParams{Row: done}); err != nil {
			t.Fatalf("unconditional update: %v", err)
		}
		if err := s.JobRunCreate(ctx, &store.JobRunCreateParams{Row: jobRun("jr_3", 30), MaxActive: 2}); err != nil {
			t.Fatalf("run after one finished: %v", err)
		}
		got, err := s.JobRunGet(ctx, &store.JobRunGetParams{Account: "a", JobName: "etl", ID: "jr_1"})
		if err != nil || got.State != "FAILED" || got.ErrorMessage != "boom" || got.ExecutionTime != 5 {
			t.Fatalf("run = %+v, %v", got, err)
		}
		runs, err := s.JobRunList(ctx, &store.JobRunListParams{Account: "a", JobName: "etl", Limit: 2})
		if err != nil || len(runs) != 2 || runs[0].ID != "jr_3" || runs[1].ID != "jr_2" {
			t.Fatalf("runs = %v, %v", runs, err)
		}
		more, err := s.JobRunList(ctx, &store.JobRunListParams{Account: "a", JobName: "etl", BeforeStarted: runs[1].Started, BeforeID: runs[1].ID})
		if err != nil || len(more) != 1 || more[0].ID != "jr_1" {
			t.Fatalf("runs page 2 = %v, %v", more, err)
		}
		stale, err := s.JobRunStale(ctx, &store.JobRunStaleParams{Now: 125})
		if err != nil || len(stale) != 1 || stale[0].ID != "jr_2" {
			t.Fatalf("stale = %v, %v", stale, err)
		}
		if err := s.JobDelete(ctx, &store.JobGetParams{Account: "a", Name: "etl"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.JobRunGet(ctx, &store.JobRunGetParams{Account: "a", JobName: "etl", ID: "jr_1"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("run of a deleted job: %v", err)
		}
		if err := s.JobDelete(ctx, &store.JobGetParams{Account: "a", Name: "etl"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
	})
}
