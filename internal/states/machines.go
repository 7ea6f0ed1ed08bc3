package states

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ceap/ceap/internal/asl"
	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/store"
)

// State machine types.
const (
	TypeStandard = "STANDARD"
	TypeExpress  = "EXPRESS"
)

// Tag is a resource tag.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// LoggingConfiguration is where a state machine's execution events go.
type LoggingConfiguration struct {
	Level                string           `json:"level,omitempty"`
	IncludeExecutionData bool             `json:"includeExecutionData"`
	Destinations         []LogDestination `json:"destinations,omitempty"`
}

// LogDestination is one destination of LoggingConfiguration.
type LogDestination struct {
	CloudWatchLogsLogGroup *LogGroupRef `json:"cloudWatchLogsLogGroup,omitempty"`
}

// LogGroupRef names a log group by ARN.
type LogGroupRef struct {
	LogGroupArn string `json:"logGroupArn,omitempty"`
}

// TracingConfiguration is X-Ray tracing (stored, not acted on).
type TracingConfiguration struct {
	Enabled bool `json:"enabled"`
}

// EncryptionConfiguration is stored and returned; data is not encrypted with KMS.
type EncryptionConfiguration struct {
	KmsKeyID                     string `json:"kmsKeyId,omitempty"`
	KmsDataKeyReusePeriodSeconds int    `json:"kmsDataKeyReusePeriodSeconds,omitempty"`
	Type                         string `json:"type"`
}

// StateMachine is a state machine, or one version of it.
type StateMachine struct {
	ARN         string                   `json:"arn"`
	Name        string                   `json:"name"`
	Status      string                   `json:"status"`
	Definition  string                   `json:"definition"`
	RoleArn     string                   `json:"roleArn"`
	Type        string                   `json:"type"`
	Created     time.Time                `json:"created"`
	Updated     time.Time                `json:"updated"`
	Logging     *LoggingConfiguration    `json:"logging,omitempty"`
	Tracing     *TracingConfiguration    `json:"tracing,omitempty"`
	Encryption  *EncryptionConfiguration `json:"encryption,omitempty"`
	RevisionID  string                   `json:"revisionId"`
	Description string                   `json:"description,omitempty"`
	Tags        []Tag                    `json:"tags,omitempty"`
}

// machineDoc is the stored form of a state machine, revision or version.
type machineDoc struct {
	StateMachine
	NextVersion      int    `json:"nextVersion,omitempty"`
	LastPublishedRev string `json:"lastPublishedRev,omitempty"`
	LastVersionARN   string `json:"lastVersionArn,omitempty"`
}

// MachineInput is CreateStateMachine's and UpdateStateMachine's input.
type MachineInput struct {
	ARN                string // Update only
	Name               string
	Definition         *string
	RoleArn            *string
	Type               string
	Logging            *LoggingConfiguration
	Tracing            *TracingConfiguration
	Encryption         *EncryptionConfiguration
	Tags               []Tag
	Publish            bool
	VersionDescription string
}

// MachineResult is what CreateStateMachine and UpdateStateMachine return.
type MachineResult struct {
	ARN        string
	Created    time.Time
	Updated    time.Time
	RevisionID string
	VersionARN string
}

func definitionError(err error) error {
	var de *asl.DefinitionError
	if errors.As(err, &de) {
		return awserr.New("InvalidDefinition", "%s", de.Error())
	}
	return awserr.New("InvalidDefinition", "Invalid State Machine Definition: '%v'", err)
}

func checkLogging(l *LoggingConfiguration) error {
	if l == nil {
		return nil
	}
	switch l.Level {
	case "", "OFF":
	case "ALL", "ERROR", "FATAL":
		if len(l.Destinations) == 0 {
			return awserr.New("InvalidLoggingConfiguration", "Invalid Logging Configuration: Must specify exactly one Log Destination if logging level is not OFF.")
		}
	default:
		return awserr.Validation("1 validation error detected: Value '%s' at 'loggingConfiguration.level' failed to satisfy constraint: Member must satisfy enum value set: [ALL, ERROR, FATAL, OFF]", l.Level)
	}
	if len(l.Destinations) > 1 {
		return awserr.New("InvalidLoggingConfiguration", "Invalid Logging Configuration: Must specify exactly one Log Destination if logging level is not OFF.")
	}
	for _, d := range l.Destinations {
		if d.CloudWatchLogsLogGroup == nil || !strings.HasPrefix(d.CloudWatchLogsLogGroup.LogGroupArn, "arn:") || !strings.Contains(d.CloudWatchLogsLogGroup.LogGroupArn, ":log-group:") {
			return awserr.New("InvalidLoggingConfiguration", "Invalid Logging Configuration: Log Destination not found.")
		}
	}
	return nil
}

func checkRole(arn string) error {
	if !strings.HasPrefix(arn, "arn:") || len(strings.Split(arn, ":")) < 6 {
		return invalidARN(arn)
	}
	return nil
}

func checkTags(tags []Tag) error {
	if len(tags) > maxTags {
		return awserr.New("TooManyTags", "Too many tags: a resource can have at most %d tags.", maxTags)
	}
	return nil
}

func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("marshal %T: %v", v, err))
	}
	return b
}

// CreateStateMachine validates and stores a state machine (and its first version when Publish).
func (s *Service) CreateStateMachine(ctx context.Context, c Caller, in *MachineInput) (*MachineResult, error) {
	if !validName(in.Name) {
		return nil, invalidName(in.Name)
	}
	if in.Type == "" {
		in.Type = TypeStandard
	}
	if in.Type != TypeStandard && in.Type != TypeExpress {
		return nil, awserr.Validation("1 validation error detected: Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]", in.Type)
	}
	if in.Definition == nil || in.RoleArn == nil {
		return nil, awserr.Validation("1 validation error detected: definition and roleArn are required")
	}
	if err := checkRole(*in.RoleArn); err != nil {
		return nil, err
	}
	prog, err := asl.Compile(*in.Definition)
	if err != nil {
		return nil, definitionError(err)
	}
	if err := checkLogging(in.Logging); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	now := s.now()
	arn := machineARN(c, in.Name)
	m := &machineDoc{StateMachine: StateMachine{
		ARN: arn, Name: in.Name, Status: "ACTIVE", Definition: *in.Definition, RoleArn: *in.RoleArn, Type: in.Type,
		Created: now, Updated: now, Logging: in.Logging, Tracing: in.Tracing, Encryption: in.Encryption,
		RevisionID: uuid.NewString(), Tags: in.Tags,
	}, NextVersion: 1}
	puts := []*store.StateResource{nil, revisionResource(c, m)}
	res := &MachineResult{ARN: arn, Created: now}
	if in.Publish {
		v := versionResource(c, m, in.VersionDescription, now)
		puts = append(puts, v)
		res.VersionARN = v.ARN
	}
	puts[0] = &store.StateResource{ARN: arn, Account: c.Account, Kind: kindMachine, Key: in.Name, Created: now.UnixMilli(), Doc: marshal(m)}
	err = s.writeResources(ctx, &store.StateResourcesWriteParams{Puts: puts})
	if err == nil {
		// Executions find the program compiled already.
		s.programs.Store(revisionARN(arn, m.RevisionID), prog)
	}
	if errors.Is(err, store.ErrAlreadyExists) {
		old, gerr := s.getMachine(ctx, arn)
		if gerr == nil && old.Definition == m.Definition && old.RoleArn == m.RoleArn && old.Type == m.Type && !in.Publish {
			return &MachineResult{ARN: arn, Created: old.Created}, nil
		}
		return nil, awserr.New("StateMachineAlreadyExists", "State Machine Already Exists: '%s'", arn)
	}
	if err != nil {
		return nil, fmt.Errorf("create state machine %s: %w", arn, err)
	}
	return res, nil
}

func revisionARN(machine, revision string) string { return machine + "#" + revision }

func revisionResource(c Caller, m *machineDoc) *store.StateResource {
	r := *m
	r.Tags, r.NextVersion, r.LastPublishedRev, r.LastVersionARN = nil, 0, "", ""
	return &store.StateResource{ARN: revisionARN(m.ARN, m.RevisionID), Account: c.Account, Kind: kindRevision, Parent: m.ARN, Key: m.RevisionID, Created: m.Updated.UnixMilli(), Doc: marshal(&r)}
}

// versionResource publishes the machine's current revision as its next version (and advances
// the machine's counter).
func versionResource(c Caller, m *machineDoc, description string, now time.Time) *store.StateResource {
	n := m.NextVersion
	if n == 0 {
		n = 1
	}
	m.NextVersion = n + 1
	v := *m
	v.ARN = m.ARN + ":" + strconv.Itoa(n)
	v.Description, v.Created, v.Tags, v.NextVersion, v.LastPublishedRev, v.LastVersionARN = description, now, nil, 0, "", ""
	m.LastPublishedRev, m.LastVersionARN = m.RevisionID, v.ARN
	return &store.StateResource{ARN: v.ARN, Account: c.Account, Kind: kindVersion, Parent: m.ARN, Key: fmt.Sprintf("%010d", n), Created: now.UnixMilli(), Doc: marshal(&v)}
}

func (s *Service) getResource(ctx context.Context, arn string, doc any) (*store.StateResource, error) {
	r, err := s.st.StateResourceGet(ctx, &store.StateResourceGetParams{ARN: arn})
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(r.Doc, doc); err != nil {
		return nil, fmt.Errorf("decode %s: %w", arn, err)
	}
	return r, nil
}

func (s *Service) getMachine(ctx context.Context, arn string) (*machineDoc, error) {
	m := &machineDoc{}
	if _, err := s.getResource(ctx, arn, m); err != nil {
		return nil, err
	}
	return m, nil
}

// loadMachine reads an unqualified state machine of the caller, with its store revision.
func (s *Service) loadMachine(ctx context.Context, c Caller, arn string) (*machineDoc, *store.StateResource, error) {
	a, err := checkMachineARN(c, arn)
	if err != nil {
		return nil, nil, err
	}
	if a.Qualifier != "" {
		return nil, nil, invalidARN(arn)
	}
	m := &machineDoc{}
	r, err := s.getResource(ctx, arn, m)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, machineNotFound(arn)
	}
	if err != nil {
		return nil, nil, err
	}
	return m, r, nil
}

// DescribeStateMachine returns a state machine or one of its versions.
func (s *Service) DescribeStateMachine(ctx context.Context, c Caller, arn string) (*StateMachine, error) {
	a, err := checkMachineARN(c, arn)
	if err != nil {
		return nil, err
	}
	if a.Qualifier != "" && !a.isVersion() {
		return nil, invalidARN(arn)
	}
	m, err := s.getMachine(ctx, arn)
	if errors.Is(err, store.ErrNotFound) {
		return nil, machineNotFound(arn)
	}
	if err != nil {
		return nil, err
	}
	return &m.StateMachine, nil
}

// UpdateStateMachine changes a state machine; a new definition or role makes a new revision.
func (s *Service) UpdateStateMachine(ctx context.Context, c Caller, in *MachineInput) (*MachineResult, error) {
	if in.Definition == nil && in.RoleArn == nil && in.Logging == nil && in.Tracing == nil && in.Encryption == nil {
		return nil, awserr.New("MissingRequiredParameter", "Either the definition, the roleArn, the loggingConfiguration, the tracingConfiguration or the encryptionConfiguration must be specified")
	}
	if in.Definition != nil {
		if _, err := asl.Compile(*in.Definition); err != nil {
			return nil, definitionError(err)
		}
	}
	if in.RoleArn != nil {
		if err := checkRole(*in.RoleArn); err != nil {
			return nil, err
		}
	}
	if err := checkLogging(in.Logging); err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		m, r, err := s.loadMachine(ctx, c, in.ARN)
		if err != nil {
			return nil, err
		}
		now := s.now()
		changed := false
		if in.Definition != nil && *in.Definition != m.Definition {
			m.Definition, changed = *in.Definition, true
		}
		if in.RoleArn != nil && *in.RoleArn != m.RoleArn {
			m.RoleArn, changed = *in.RoleArn, true
		}
		if in.Logging != nil {
			m.Logging, changed = in.Logging, true
		}
		if in.Tracing != nil {
			m.Tracing, changed = in.Tracing, true
		}
		if in.Encryption != nil {
			m.Encryption = in.Encryption
		}
		var puts []*store.StateResource
		if changed {
			m.RevisionID = uuid.NewString()
			m.Updated = now
			puts = append(puts, revisionResource(c, m))
		}
		res := &MachineResult{ARN: m.ARN, Updated: m.Updated, RevisionID: m.RevisionID}
		if in.Publish {
			if m.LastPublishedRev == m.RevisionID {
				res.VersionARN = m.LastVersionARN
			} else {
				v := versionResource(c, m, in.VersionDescription, now)
				puts = append(puts, v)
				res.VersionARN = v.ARN
			}
		}
		r.Doc = marshal(m)
		puts = append([]*store.StateResource{r}, puts...)
		err = s.writeResources(ctx, &store.StateResourcesWriteParams{Puts: puts})
		if errors.Is(err, store.ErrConflict) && attempt < 5 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("update state machine %s: %w", in.ARN, err)
		}
		return res, nil
	}
}

// DeleteStateMachine deletes a state machine with its versions and aliases. Running executions
// keep their definition revision and finish.
func (s *Service) DeleteStateMachine(ctx context.Context, c Caller, arn string) error {
	a, err := checkMachineARN(c, arn)
	if err != nil {
		return err
	}
	if a.Qualifier != "" {
		return awserr.Validation("Use DeleteStateMachineVersion or DeleteStateMachineAlias to delete a qualified state machine ARN: '%s'", arn)
	}
	dels := []string{arn}
	for _, kind := range []string{kindVersion, kindAlias} {
		rs, err := s.st.StateResourcesList(ctx, &store.StateResourcesListParams{Account: c.Account, Kind: kind, Parent: arn})
		if err != nil {
			return fmt.Errorf("delete state machine %s: %w", arn, err)
		}
		for _, r := range rs {
			dels = append(dels, r.ARN)
		}
	}
	if err := s.writeResources(ctx, &store.StateResourcesWriteParams{Deletes: dels}); err != nil {
		return fmt.Errorf("delete state machine %s: %w", arn, err)
	}
	return nil
}

// ListedResource is one item of the List operations of resources.
type ListedResource struct {
	ARN     string
	Name    string
	Type    string
	Created time.Time
}

// ListPage is a page of resources and the token of the next one.
type ListPage struct {
	Items     []ListedResource
	NextToken string
}

func (s *Service) listResources(ctx context.Context, c Caller, kind, parent string, max int, token string) (*ListPage, error) {
	limit, err := pageLimit(max)
	if err != nil {
		return nil, err
	}
	after := ""
	if token != "" {
		after, err = decodeToken(token)
		if err != nil {
			return nil, err
		}
	}
	rs, err := s.st.StateResourcesList(ctx, &store.StateResourcesListParams{Account: c.Account, Kind: kind, Parent: parent, After: after, Limit: limit + 1})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", kind, err)
	}
	page := &ListPage{}
	if len(rs) > limit {
		rs = rs[:limit]
		page.NextToken = encodeToken(rs[limit-1].Key)
	}
	for _, r := range rs {
		var d struct {
			Name    string    `json:"name"`
			Type    string    `json:"type"`
			Created time.Time `json:"created"`
		}
		if err := json.Unmarshal(r.Doc, &d); err != nil {
			return nil, fmt.Errorf("decode %s: %w", r.ARN, err)
		}
		page.Items = append(page.Items, ListedResource{ARN: r.ARN, Name: d.Name, Type: d.Type, Created: d.Created})
	}
	return page, nil
}

// ListStateMachines lists the caller's state machines by name.
func (s *Service) ListStateMachines(ctx context.Context, c Caller, max int, token string) (*ListPage, error) {
	return s.listResources(ctx, c, kindMachine, "", max, token)
}

// PublishStateMachineVersion publishes the current revision as a version (the latest version
// again when the revision was already published).
func (s *Service) PublishStateMachineVersion(ctx context.Context, c Caller, arn, revisionID, description string) (string, time.Time, error) {
	for attempt := 0; ; attempt++ {
		m, r, err := s.loadMachine(ctx, c, arn)
		if err != nil {
			return "", time.Time{}, err
		}
		if revisionID != "" && revisionID != m.RevisionID {
			return "", time.Time{}, awserr.New("ConflictException", "Failed to publish the State Machine version for revision %s. The current State Machine revision is %s.", revisionID, m.RevisionID)
		}
		if m.LastPublishedRev == m.RevisionID {
			v, err := s.getMachine(ctx, m.LastVersionARN)
			if err == nil {
				return v.ARN, v.Created, nil
			}
		}
		now := s.now()
		v := versionResource(c, m, description, now)
		r.Doc = marshal(m)
		err = s.writeResources(ctx, &store.StateResourcesWriteParams{Puts: []*store.StateResource{r, v}})
		if errors.Is(err, store.ErrConflict) && attempt < 5 {
			continue
		}
		if err != nil {
			return "", time.Time{}, fmt.Errorf("publish %s: %w", arn, err)
		}
		return v.ARN, now, nil
	}
}

// ListStateMachineVersions lists a state machine's versions, newest first.
func (s *Service) ListStateMachineVersions(ctx context.Context, c Caller, arn string, max int, token string) (*ListPage, error) {
	if _, _, err := s.loadMachine(ctx, c, arn); err != nil {
		return nil, err
	}
	page, err := s.listResources(ctx, c, kindVersion, arn, maxPageSize, "")
	if err != nil {
		return nil, err
	}
	for i, j := 0, len(page.Items)-1; i < j; i, j = i+1, j-1 {
		page.Items[i], page.Items[j] = page.Items[j], page.Items[i]
	}
	return paginate(page.Items, max, token)
}

// DeleteStateMachineVersion deletes a version that no alias routes to.
func (s *Service) DeleteStateMachineVersion(ctx context.Context, c Caller, arn string) error {
	a, err := checkMachineARN(c, arn)
	if err != nil || !a.isVersion() {
		return invalidARN(arn)
	}
	aliases, err := s.st.StateResourcesList(ctx, &store.StateResourcesListParams{Account: c.Account, Kind: kindAlias, Parent: a.baseMachine()})
	if err != nil {
		return fmt.Errorf("delete version %s: %w", arn, err)
	}
	for _, r := range aliases {
		var al aliasDoc
		if json.Unmarshal(r.Doc, &al) == nil {
			for _, rt := range al.Routing {
				if rt.VersionARN == arn {
					return awserr.New("ConflictException", "Version to be deleted must not be referenced by an alias. Current list of aliases referencing this version: [%s]", r.ARN)
				}
			}
		}
	}
	return s.writeResources(ctx, &store.StateResourcesWriteParams{Deletes: []string{arn}})
}

// paginate pages a fully loaded list with an index token.
func paginate(items []ListedResource, max int, token string) (*ListPage, error) {
	limit, err := pageLimit(max)
	if err != nil {
		return nil, err
	}
	start := 0
	if token != "" {
		t, err := decodeToken(token)
		if err != nil {
			return nil, err
		}
		if start, err = strconv.Atoi(t); err != nil || start < 0 || start > len(items) {
			return nil, awserr.New("InvalidToken", "Invalid Token: '%s'", token)
		}
	}
	page := &ListPage{}
	end := start + limit
	if end < len(items) {
		page.NextToken = encodeToken(strconv.Itoa(end))
	} else {
		end = len(items)
	}
	page.Items = items[start:end]
	return page, nil
}

// target is what an execution runs: a revision of a state machine, reached through the
// machine, a version or an alias.
type target struct {
	machine    *machineDoc // the definition to run (the version's when through a version)
	machineARN string      // unqualified
	revision   string      // revision ARN
	versionARN string
	aliasARN   string
}

// resolveTarget resolves a StartExecution stateMachineArn.
func (s *Service) resolveTarget(ctx context.Context, c Caller, arn string, pick func() float64) (*target, error) {
	a, err := checkMachineARN(c, arn)
	if err != nil {
		return nil, err
	}
	t := &target{machineARN: a.baseMachine()}
	lookup := arn
	if a.Qualifier != "" && !a.isVersion() {
		al, err := s.cachedAlias(ctx, arn)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil, machineNotFound(arn)
			}
			return nil, err
		}
		t.aliasARN = arn
		lookup = al.pick(pick())
	}
	m, err := s.cachedMachine(ctx, lookup)
	if errors.Is(err, store.ErrNotFound) {
		return nil, machineNotFound(arn)
	}
	if err != nil {
		return nil, err
	}
	if lookup != t.machineARN {
		t.versionARN = lookup
		// A version runs its own definition but carries the machine's type.
		if base, err := s.cachedMachine(ctx, t.machineARN); err == nil {
			m.Type = base.Type
		}
	}
	t.machine = m
	t.revision = revisionARN(t.machineARN, m.RevisionID)
	return t, nil
}

// aliasDoc is a stored alias.
type aliasDoc struct {
	ARN         string    `json:"arn"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Routing     []Route   `json:"routing"`
	Created     time.Time `json:"created"`
	Updated     time.Time `json:"updated"`
}

// Route sends a share of an alias's executions to a version.
type Route struct {
	VersionARN string `json:"stateMachineVersionArn"`
	Weight     int    `json:"weight"`
}

// Alias is a state machine alias.
type Alias struct {
	ARN         string
	Name        string
	Description string
	Routing     []Route
	Created     time.Time
	Updated     time.Time
}

func (a *aliasDoc) pick(x float64) string {
	total := 0
	for _, r := range a.Routing {
		total += r.Weight
	}
	at := x * float64(total)
	for _, r := range a.Routing {
		if at < float64(r.Weight) {
			return r.VersionARN
		}
		at -= float64(r.Weight)
	}
	return a.Routing[len(a.Routing)-1].VersionARN
}

func (s *Service) checkRouting(ctx context.Context, c Caller, machine string, routing []Route) error {
	if len(routing) < 1 || len(routing) > 2 {
		return awserr.Validation("Routing configuration must contain one or two versions")
	}
	sum := 0
	for i, r := range routing {
		a, err := checkMachineARN(c, r.VersionARN)
		if err != nil || !a.isVersion() {
			return invalidARN(r.VersionARN)
		}
		if machine != "" && a.baseMachine() != machine {
			return awserr.Validation("Routing configuration versions must belong to the alias's state machine")
		}
		if i == 1 && r.VersionARN == routing[0].VersionARN {
			return awserr.Validation("Routing configuration must contain distinct versions")
		}
		if r.Weight < 0 || r.Weight > 100 {
			return awserr.Validation("Routing configuration weights must be between 0 and 100")
		}
		sum += r.Weight
		if _, err := s.st.StateResourceGet(ctx, &store.StateResourceGetParams{ARN: r.VersionARN}); errors.Is(err, store.ErrNotFound) {
			return resourceNotFound(r.VersionARN)
		} else if err != nil {
			return err
		}
	}
	if sum != 100 {
		return awserr.Validation("Sum of routing configuration weights must be equal to 100")
	}
	return nil
}

// CreateStateMachineAlias creates an alias routing to one or two versions.
func (s *Service) CreateStateMachineAlias(ctx context.Context, c Caller, name, description string, routing []Route) (string, time.Time, error) {
	if !validName(name) || isAllDigits(name) {
		return "", time.Time{}, invalidName(name)
	}
	if len(routing) == 0 {
		return "", time.Time{}, awserr.Validation("Routing configuration must contain one or two versions")
	}
	a, err := checkMachineARN(c, routing[0].VersionARN)
	if err != nil {
		return "", time.Time{}, err
	}
	machine := a.baseMachine()
	if err := s.checkRouting(ctx, c, machine, routing); err != nil {
		return "", time.Time{}, err
	}
	now := s.now()
	al := &aliasDoc{ARN: machine + ":" + name, Name: name, Description: description, Routing: routing, Created: now, Updated: now}
	err = s.writeResources(ctx, &store.StateResourcesWriteParams{Puts: []*store.StateResource{{
		ARN: al.ARN, Account: c.Account, Kind: kindAlias, Parent: machine, Key: name, Created: now.UnixMilli(), Doc: marshal(al),
	}}})
	if errors.Is(err, store.ErrAlreadyExists) {
		old := &aliasDoc{}
		if _, gerr := s.getResource(ctx, al.ARN, old); gerr == nil && old.Description == description && routeEqual(old.Routing, routing) {
			return old.ARN, old.Created, nil
		}
		return "", time.Time{}, awserr.New("ConflictException", "Failed to create alias because an alias with the same name and a different routing configuration already exists.")
	}
	if err != nil {
		return "", time.Time{}, fmt.Errorf("create alias %s: %w", al.ARN, err)
	}
	return al.ARN, now, nil
}

func routeEqual(a, b []Route) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func isAllDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func (s *Service) loadAlias(ctx context.Context, c Caller, arn string) (*aliasDoc, *store.StateResource, error) {
	a, err := checkMachineARN(c, arn)
	if err != nil || a.Qualifier == "" || a.isVersion() {
		return nil, nil, invalidARN(arn)
	}
	al := &aliasDoc{}
	r, err := s.getResource(ctx, arn, al)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, resourceNotFound(arn)
	}
	if err != nil {
		return nil, nil, err
	}
	return al, r, nil
}

// DescribeStateMachineAlias returns an alias.
func (s *Service) DescribeStateMachineAlias(ctx context.Context, c Caller, arn string) (*Alias, error) {
	al, _, err := s.loadAlias(ctx, c, arn)
	if err != nil {
		return nil, err
	}
	return &Alias{ARN: al.ARN, Name: al.Name, Description: al.Description, Routing: al.Routing, Created: al.Created, Updated: al.Updated}, nil
}

// UpdateStateMachineAlias changes an alias's description or routing.
func (s *Service) UpdateStateMachineAlias(ctx context.Context, c Caller, arn string, description *string, routing []Route) (time.Time, error) {
	if description == nil && routing == nil {
		return time.Time{}, awserr.Validation("Either the description or the RoutingConfiguration must be specified")
	}
	al, r, err := s.loadAlias(ctx, c, arn)
	if err != nil {
		return time.Time{}, err
	}
	if routing != nil {
		a, _ := parseARN(arn)
		if err := s.checkRouting(ctx, c, a.baseMachine(), routing); err != nil {
			return time.Time{}, err
		}
		al.Routing = routing
	}
	if description != nil {
		al.Description = *description
	}
	al.Updated = s.now()
	r.Doc = marshal(al)
	if err := s.writeResources(ctx, &store.StateResourcesWriteParams{Puts: []*store.StateResource{r}}); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return time.Time{}, awserr.New("ConflictException", "The alias was changed by another request.")
		}
		return time.Time{}, fmt.Errorf("update alias %s: %w", arn, err)
	}
	return al.Updated, nil
}

// DeleteStateMachineAlias deletes an alias.
func (s *Service) DeleteStateMachineAlias(ctx context.Context, c Caller, arn string) error {
	if _, _, err := s.loadAlias(ctx, c, arn); err != nil {
		return err
	}
	return s.writeResources(ctx, &store.StateResourcesWriteParams{Deletes: []string{arn}})
}

// ListStateMachineAliases lists a state machine's aliases.
func (s *Service) ListStateMachineAliases(ctx context.Context, c Caller, arn string, max int, token string) (*ListPage, error) {
	if _, _, err := s.loadMachine(ctx, c, arn); err != nil {
		return nil, err
	}
	return s.listResources(ctx, c, kindAlias, arn, max, token)
}
