package mapping

// Request wire types. JSON keys are the original module's (g2p_registry_rest_api
// 17.0 + g2p_bank_rest_api); bank items may also carry bic and
// acc_holder_name. Unknown keys are refused by DecodeStrict.

// RegistrationIDRequest is one item of "ids".
type RegistrationIDRequest struct {
	IDType      string           `json:"id_type"`
	Value       string           `json:"value"`
	ExpiryDate  Nullable[Date]   `json:"expiry_date"`
	Status      Nullable[string] `json:"status"`
	Description Nullable[string] `json:"description"`
}

// PhoneNumberRequest is one item of "phone_numbers".
type PhoneNumberRequest struct {
	PhoneNo       string         `json:"phone_no"`
	DateCollected Nullable[Date] `json:"date_collected"`
}

// BankAccountRequest is one item of "bank_ids". The bank is found by BIC when
// one is given, otherwise by name (see BankResolver).
type BankAccountRequest struct {
	BankName      Nullable[string]        `json:"bank_name"`
	BIC           Nullable[string]        `json:"bic"`
	AccNumber     Nullable[AccountNumber] `json:"acc_number"`
	AccHolderName Nullable[string]        `json:"acc_holder_name"`
}

// RegistrantFields are the keys individuals and groups share.
type RegistrantFields struct {
	Name             Nullable[string]        `json:"name"`
	IDs              []RegistrationIDRequest `json:"ids"`
	RegistrationDate Nullable[Date]          `json:"registration_date"`
	PhoneNumbers     []PhoneNumberRequest    `json:"phone_numbers"`
	Email            Nullable[string]        `json:"email"`
	Address          Nullable[string]        `json:"address"`
	BankIDs          []BankAccountRequest    `json:"bank_ids"`
	Image1920        Nullable[string]        `json:"image_1920"`
	// IsGroup is accepted for compatibility and ignored: the endpoint decides.
	IsGroup Nullable[bool] `json:"is_group"`
}

// PersonFields are the keys only individuals have.
type PersonFields struct {
	GivenName  Nullable[string] `json:"given_name"`
	FamilyName Nullable[string] `json:"family_name"`
	AddlName   Nullable[string] `json:"addl_name"`
	// Gender is a gender.type code (or its stored value), case-insensitive.
	Gender     Nullable[string] `json:"gender"`
	Birthdate  Nullable[Date]   `json:"birthdate"`
	BirthPlace Nullable[string] `json:"birth_place"`
}

// IndividualRequest is the body of POST /individual.
type IndividualRequest struct {
	RegistrantFields
	PersonFields
}

// UpdateIndividualRequest is one item of the PUT /update_individual array.
// Absent keys leave the stored value alone; null clears it.
type UpdateIndividualRequest struct {
	UpdateID string `json:"updateId"`
	RegistrantFields
	PersonFields
}

// MemberKindRequest names a g2p.group.membership.kind.
type MemberKindRequest struct {
	Name Nullable[string] `json:"name"`
}

// GroupMemberRequest is one item of "members": an individual plus its kinds
// in the group.
type GroupMemberRequest struct {
	RegistrantFields
	PersonFields
	Kind []MemberKindRequest `json:"kind"`
}

// GroupRequest is the body of POST /group.
type GroupRequest struct {
	RegistrantFields
	// Kind is a g2p.group.kind name.
	Kind           Nullable[string]     `json:"kind"`
	IsPartialGroup Nullable[bool]       `json:"is_partial_group"`
	Members        []GroupMemberRequest `json:"members"`
}

// Response wire types: the original's keys with the intended data; Odoo's
// false becomes null, dates are YYYY-MM-DD, datetimes ISO 8601 with Z.

// RegistrationID is one item of "reg_ids".
type RegistrationID struct {
	ID          int64   `json:"id"`
	IDTypeAsStr *string `json:"id_type_as_str"`
	Value       *string `json:"value"`
	ExpiryDate  *string `json:"expiry_date"`
	Status      *string `json:"status"`
	Description *string `json:"description"`
}

// PhoneNumber is one item of "phone_number_ids".
type PhoneNumber struct {
	ID             int64   `json:"id"`
	PhoneNo        *string `json:"phone_no"`
	PhoneSanitized *string `json:"phone_sanitized"`
	DateCollected  *string `json:"date_collected"`
}

// BankAccountItem is one item of "bank_ids" in responses.
type BankAccountItem struct {
	ID            int64   `json:"id"`
	BankName      *string `json:"bank_name"`
	BIC           *string `json:"bic"`
	AccNumber     *string `json:"acc_number"`
	AccHolderName *string `json:"acc_holder_name"`
}

// Registrant holds the keys every registrant response has.
type Registrant struct {
	ID               int64             `json:"id"`
	Name             *string           `json:"name"`
	RegIDs           []RegistrationID  `json:"reg_ids"`
	IsGroup          bool              `json:"is_group"`
	RegistrationDate *string           `json:"registration_date"`
	PhoneNumberIDs   []PhoneNumber     `json:"phone_number_ids"`
	Email            *string           `json:"email"`
	Address          *string           `json:"address"`
	CreateDate       *string           `json:"create_date"`
	WriteDate        *string           `json:"write_date"`
	BankIDs          []BankAccountItem `json:"bank_ids"`
}

// Individual is an individual registrant.
type Individual struct {
	Registrant
	GivenName  *string `json:"given_name"`
	AddlName   *string `json:"addl_name"`
	FamilyName *string `json:"family_name"`
	Gender     *string `json:"gender"`
	Birthdate  *string `json:"birthdate"`
	// Age is whole years as a string, or "No Birthdate!" like the original.
	Age        string  `json:"age"`
	BirthPlace *string `json:"birth_place"`
}

// MemberKind is one kind of a membership.
type MemberKind struct {
	Name string `json:"name"`
}

// Membership is one item of "group_membership_ids".
type Membership struct {
	ID         int64        `json:"id"`
	Individual *Individual  `json:"individual"`
	Kind       []MemberKind `json:"kind"`
	StartDate  *string      `json:"start_date"`
	EndedDate  *string      `json:"ended_date"`
	CreateDate *string      `json:"create_date"`
	WriteDate  *string      `json:"write_date"`
}

// GroupShort is a group without its members (GET /group without
// include_members_full).
type GroupShort struct {
	Registrant
	// Kind is the group kind name (V15 returned it; V17 left it out).
	Kind           *string `json:"kind"`
	IsPartialGroup bool    `json:"is_partial_group"`
}

// Group is a group with its members.
type Group struct {
	GroupShort
	GroupMembershipIDs []Membership `json:"group_membership_ids"`
}

// Page is one page of a search with the total number of matches.
type Page[T any] struct {
	Items []T
	Total int64
}

// SearchQuery are the filters of GET /individual and GET /group.
type SearchQuery struct {
	ID     int64  // 0 = any
	Name   string // case-sensitive substring, "" = any
	Limit  int    // 0 = default page size
	Offset int
}
