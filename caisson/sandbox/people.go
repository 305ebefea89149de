package sandbox

// The name and address tables the data set draws from. Names are stored in
// the case a customer id shows them ("Doe, Jamie"); the check's info block
// carries them upper-cased, as a licence prints them and as the sample does.

type nameGroup struct {
	first, last []string
	// nonASCII marks groups whose names exercise non-ASCII rendering.
	nonASCII bool
}

var nameGroups = []nameGroup{
	{first: []string{"Jamie", "Michael", "Jennifer", "Robert", "Ashley", "David", "Sarah", "Tyler", "Emily", "Marcus"},
		last: []string{"Doe", "Smith", "Johnson", "Williams", "Brown", "Miller", "O'Brien", "Anderson", "Taylor", "Jackson"}},
	{first: []string{"José", "María", "Sofía", "Andrés", "Lucía", "Íñigo"},
		last: []string{"García", "Fernández", "Muñoz", "Peña", "Gómez Ruiz", "Núñez"}, nonASCII: true},
	{first: []string{"Zoë", "Chloë", "Jürgen", "Björn", "Ségolène", "François"},
		last: []string{"Müller", "Brontë", "Schröder", "Lefèvre", "Åström", "Dvořák"}, nonASCII: true},
	{first: []string{"Łukasz", "Małgorzata", "Paweł", "Zofia", "Wojciech"},
		last: []string{"Wiśniewski", "Kowalczyk", "Łęcki", "Szymańska", "Żukowski"}, nonASCII: true},
	{first: []string{"Thị Lan", "Văn Minh", "Thu Hà", "Quốc Bảo"},
		last: []string{"Nguyễn", "Trần", "Lê", "Phạm"}, nonASCII: true},
	{first: []string{"太郎", "花子", "翔太", "美咲"},
		last: []string{"山田", "佐藤", "鈴木", "高橋"}, nonASCII: true},
	{first: []string{"Aisha", "Kwame", "Priya", "Arjun", "Mei", "Dmitri"},
		last: []string{"Okafor", "Mensah", "Patel", "Ramanathan", "Chen", "Volkov"}},
}

// nameSuffixes sometimes follow a last name in the customer id, adding a
// second comma the way real integrators' ids do ("Doe, Jr., Jamie").
var nameSuffixes = []string{"Jr.", "Sr.", "III"}

type place struct{ city, state, zip string }

var places = []place{
	{"NEW YORK", "NY", "10001"}, {"BROOKLYN", "NY", "11201"}, {"LOS ANGELES", "CA", "90012"},
	{"SAN FRANCISCO", "CA", "94103"}, {"CHICAGO", "IL", "60601"}, {"HOUSTON", "TX", "77002"},
	{"AUSTIN", "TX", "78701"}, {"PHOENIX", "AZ", "85004"}, {"PHILADELPHIA", "PA", "19103"},
	{"SEATTLE", "WA", "98101"}, {"DENVER", "CO", "80202"}, {"BOSTON", "MA", "02108"},
	{"MIAMI", "FL", "33130"}, {"ATLANTA", "GA", "30303"}, {"PORTLAND", "OR", "97204"},
	{"DETROIT", "MI", "48226"}, {"MINNEAPOLIS", "MN", "55401"}, {"NASHVILLE", "TN", "37203"},
	{"HONOLULU", "HI", "96813"}, {"ANCHORAGE", "AK", "99501"}, {"SAN JUAN", "PR", "00901"},
}

var streets = []string{
	"CROWN DR", "MAIN ST", "OAK AVE", "MAPLE LN", "PARK PL", "2ND ST", "ELM ST", "WASHINGTON BLVD",
	"LAKE SHORE DR", "MARTIN LUTHER KING JR WAY", "BROADWAY", "SUNSET BLVD", "CEDAR CT", "RIVER RD",
}

// units is the "address 2" part the reference folds into street.
var units = []string{"", "", "", "# 11B", "APT 4", "STE 200", "UNIT 7", "# 3F"}

// offsets are the UTC offsets checked_on is rendered in, in minutes:
// mostly US zones (the sample has -04:00), plus UTC and two half-hour
// offsets so a parser that assumes whole hours is caught.
var offsets = []int{-4 * 60, -5 * 60, -6 * 60, -7 * 60, -8 * 60, -10 * 60, 0, 5*60 + 30, -(3*60 + 30)}
