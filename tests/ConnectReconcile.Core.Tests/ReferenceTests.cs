using ConnectReconcile.Core.Chains;
using ConnectReconcile.Core.Ctr;
using ConnectReconcile.Core.Legs;
using ConnectReconcile.Core.Rating;
using ConnectReconcile.Core.Reference;
using ConnectReconcile.Core.Time;

namespace ConnectReconcile.Core.Tests;

public sealed class ReferenceTests
{
    [Fact]
    public void Agent_csv_applies_the_row_in_force_at_the_time_of_the_call()
    {
        var agents = ReferenceReaders.ReadAgents("""
            username,phone_type,desk_phone_number,as_of
            tanaka,SOFT_PHONE,,2026-01-01T00:00:00Z
            tanaka,DESK_PHONE,+81355550001,2026-10-01T00:00:00Z
            arn:aws:connect:ap-northeast-1:1:instance/i/agent/x,DESK_PHONE,+81355550002,2026-01-01T00:00:00Z
            """);
        Assert.Equal(PhoneTypes.SoftPhone, agents.Lookup("tanaka", null, Instant.Parse("2026-09-30T23:59:59Z"))?.PhoneType);
        Assert.Equal("+81355550001", agents.Lookup("tanaka", null, Instant.Parse("2026-10-14T10:00:00Z"))?.DeskPhoneNumber);
        Assert.Equal("+81355550002", agents.Lookup("someone", "arn:aws:connect:ap-northeast-1:1:instance/i/agent/x", Instant.Parse("2026-10-14T10:00:00Z"))?.DeskPhoneNumber);
        Assert.Null(agents.Lookup("tanaka", null, Instant.Parse("2025-01-01T00:00:00Z")));
        Assert.All(agents.AllSoftphone().Entries, e => Assert.Equal(PhoneTypes.SoftPhone, e.PhoneType));
    }

    [Fact]
    public void An_agent_is_found_by_arn_or_username_whichever_the_directory_is_keyed_by()
    {
        const string arn = "arn:aws:connect:us-east-1:1:instance/i/agent/u1";
        var at = Instant.Parse("2026-10-01T00:00:00Z");
        var byUsername = ReferenceReaders.ReadAgents("username,phone_type,desk_phone_number,as_of\nsmith,DESK_PHONE,+12065550111,\n");
        Assert.Equal("+12065550111", byUsername.Lookup("smith", arn, at)?.DeskPhoneNumber);
        Assert.Null(byUsername.Lookup("jones", arn, at));

        // An ARN key wins over the username's row; a key that merely looks unlike an ARN is still matched as given.
        var byArn = ReferenceReaders.ReadAgents($"username,phone_type,desk_phone_number,as_of\n{arn},DESK_PHONE,+12065550112,\nsmith,DESK_PHONE,+12065550111,\nnot-an-arn,DESK_PHONE,+12065550113,\n");
        Assert.Equal("+12065550112", byArn.Lookup("smith", arn, at)?.DeskPhoneNumber);
        Assert.Equal("+12065550113", byArn.Lookup("x", "not-an-arn", at)?.DeskPhoneNumber);
        var oddArn = ReferenceReaders.ReadAgents("username,phone_type,desk_phone_number,as_of\nagent-7,DESK_PHONE,+12065550114,\n");
        Assert.Equal("+12065550114", oddArn.Lookup(null, "agent-7", at)?.DeskPhoneNumber);
    }

    [Fact]
    public void Describe_user_json_is_accepted_one_or_many()
    {
        var json = """
            {"User":{"Id":"u1","Arn":"arn:aws:connect:us-east-1:1:instance/i/agent/u1","Username":"smith","PhoneConfig":{"PhoneType":"DESK_PHONE","AutoAccept":false,"AfterContactWorkTimeLimit":0,"DeskPhoneNumber":"+12065550111"},"LastModifiedTime":"2026-09-01T00:00:00Z"}}
            {"User":{"Id":"u2","Arn":"arn:aws:connect:us-east-1:1:instance/i/agent/u2","Username":"jones","PhoneConfig":{"PhoneType":"SOFT_PHONE"}}}
            """;
        var agents = ReferenceReaders.ReadAgents(json);
        Assert.Equal("+12065550111", agents.Lookup("smith", null, Instant.Parse("2026-10-01T00:00:00Z"))?.DeskPhoneNumber);
        Assert.Equal(PhoneTypes.DeskPhone, agents.Lookup(null, "arn:aws:connect:us-east-1:1:instance/i/agent/u1", Instant.Parse("2026-10-01T00:00:00Z"))?.PhoneType);
        Assert.Equal(PhoneTypes.SoftPhone, agents.Lookup("jones", null, Instant.Parse("2026-10-01T00:00:00Z"))?.PhoneType);
    }

    [Fact]
    public void Two_instances_agents_of_one_username_are_told_apart_by_their_arn()
    {
        // Tokyo's sato is on a desk phone; Virginia's, changed later, on a softphone.
        var agents = ReferenceReaders.ReadAgents("""
            {"User":{"Arn":"arn:aws:connect:ap-northeast-1:1:instance/b/agent/s1","Username":"sato","PhoneConfig":{"PhoneType":"DESK_PHONE","DeskPhoneNumber":"+81355550001"},"LastModifiedTime":"2026-09-01T00:00:00Z"}}
            {"User":{"Arn":"arn:aws:connect:us-east-1:1:instance/a/agent/s2","Username":"sato","PhoneConfig":{"PhoneType":"SOFT_PHONE"},"LastModifiedTime":"2026-09-15T00:00:00Z"}}
            """);
        var at = Instant.Parse("2026-10-01T00:00:00Z");

        // Was SOFT_PHONE for both: the username matched first, and its latest row was Virginia's.
        Assert.Equal(PhoneTypes.DeskPhone, agents.Lookup("sato", "arn:aws:connect:ap-northeast-1:1:instance/b/agent/s1", at)?.PhoneType);
        Assert.Equal(PhoneTypes.SoftPhone, agents.Lookup("sato", "arn:aws:connect:us-east-1:1:instance/a/agent/s2", at)?.PhoneType);
    }

    [Fact]
    public void Number_inventory_reads_csv_and_list_phone_numbers_v2()
    {
        var csv = ReferenceReaders.ReadNumbers("""
            number,type,country,claimed_at,released_at
            +81312340001,DID,JP,2026-01-01T00:00:00Z,
            +81120123456,TOLL_FREE,JP,2026-01-01T00:00:00Z,2026-10-15T06:00:00Z
            """);
        Assert.True(csv.IsProvided);
        Assert.Equal(NumberTypes.TollFree, csv.TypeOf("+81120123456"));
        var number = csv.Numbers.Single(n => n.Number == "+81120123456");
        var day = new Interval(Instant.Parse("2026-10-15T00:00:00Z"), Instant.Parse("2026-10-16T00:00:00Z"));
        Assert.Equal(6 * 3600, number.HeldWithin(day).Seconds);

        var json = ReferenceReaders.ReadNumbers("""
            {"ListPhoneNumbersSummaryList":[{"PhoneNumberId":"p1","PhoneNumber":"+18005550100","PhoneNumberCountryCode":"US","PhoneNumberType":"TOLL_FREE","InstanceId":"i-1"},
             {"PhoneNumberId":"p2","PhoneNumber":"+12065550100","PhoneNumberCountryCode":"US","PhoneNumberType":"DID"}]}
            """);
        Assert.Equal(NumberTypes.TollFree, json.TypeOf("+18005550100"));
        Assert.Equal(NumberTypes.Did, json.TypeOf("+12065550100"));
        Assert.Equal("i-1", json.Numbers.Single(n => n.Number == "+18005550100").InstanceId);
    }

    [Fact]
    public void Numbers_written_as_spreadsheets_and_exports_leave_them_match_the_CTRs_E164()
    {
        var numbers = ReferenceReaders.ReadNumbers("""
            number,type,country,claimed_at,released_at
            18005550100,TOLL_FREE,,,
            +44 (0)20 7946 0018,DID,GB,,
            0044 808 157 0000,TOLL_FREE,GB,,
            '+1-206-555-0100,DID,US,,
            """);
        Assert.Equal(["+12065550100", "+18005550100", "+442079460018", "+448081570000"], numbers.Numbers.Select(n => n.Number).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(NumberTypes.TollFree, numbers.TypeOf("+448081570000"));
        Assert.Equal("US", numbers.CountryOf("+18005550100")); // derived from the normalised number

        var json = ReferenceReaders.ReadNumbers("""{"ListPhoneNumbersSummaryList":[{"PhoneNumber":"81 3 1234 0001","PhoneNumberType":"DID"}]}""");
        Assert.True(json.Contains("+81312340001"));
        var agents = ReferenceReaders.ReadAgents("username,phone_type,desk_phone_number,as_of\nsato,DESK_PHONE,0081-3-5555-0001,\n");
        Assert.Equal("+81355550001", agents.Lookup("sato", null, Instant.Parse("2026-10-01T00:00:00Z"))!.DeskPhoneNumber);
        Assert.Contains("no number", Assert.Throws<FormatException>(() => ReferenceReaders.ReadNumbers("number,type,country,claimed_at,released_at\n ,DID,US,,\n")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_reference_files_fail_with_a_clear_message()
    {
        Assert.Contains("phone_type", Assert.Throws<FormatException>(() => ReferenceReaders.ReadAgents("username,type\nx,y\n")).Message, StringComparison.Ordinal);
        Assert.Contains("HOLOGRAM", Assert.Throws<FormatException>(() => ReferenceReaders.ReadNumbers("number,type,country,claimed_at,released_at\n+1,HOLOGRAM,US,,\n")).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("desk.agent,DESK_PHONE,+1 206 555 7380,\n")]                                             // no header row: the header quoted
    [InlineData("username,phone_type,desk_phone_number,as_of\ndesk.agent,+1 206 555 7380,DESK_PHONE,\n")] // columns swapped: the type quoted
    [InlineData("username,phone_type,desk_phone_number,as_of\ndesk.agent,DESK_PHONE,2026-10-01,206-555-7380\n")] // the as_of quoted
    [InlineData("""[{"PhoneType":"DESK_PHONE","DeskPhoneNumber":"+12065557380"}]""")]                    // not describe-user output: the JSON quoted
    public void A_bad_agents_file_is_quoted_in_its_error_with_desk_phone_numbers_masked(string file)
    {
        // A desk phone is an agent's number: the message once showed it whole, in logs and on the console.
        var message = Assert.Throws<FormatException>(() => ReferenceReaders.ReadAgents(file)).Message;
        Assert.DoesNotContain("555", message, StringComparison.Ordinal);
        Assert.Contains("***", message, StringComparison.Ordinal); // masked (a clip may cut the stars too)
    }

    [Fact]
    public void Desk_phones_written_without_a_country_code_are_listed_for_a_warning()
    {
        var agents = ReferenceReaders.ReadAgents("""
            username,phone_type,desk_phone_number,as_of
            a,DESK_PHONE,(206) 555-0147,
            b,DESK_PHONE,+1 206 555 0148,
            c,DESK_PHONE,0012065550149,
            d,SOFT_PHONE,,
            e,DESK_PHONE,18005550100,
            """);
        Assert.Equal(["a", "e"], agents.DeskPhonesWithoutCountryCode().Select(e => e.Key));
    }

    [Fact]
    public void Inventory_numbers_in_national_form_are_listed_for_a_warning()
    {
        // CTRs give E.164: "(646) 856-0587" reads as +6468560587 (New Zealand's code) and matches none of them.
        var inventory = ReferenceReaders.ReadNumbers("""
            number,type,country,claimed_at,released_at
            (646) 856-0587,DID,US,,
            +1 646 856 0588,DID,US,,
            0016468560589,DID,US,,
            442079460018,DID,GB,,
            2079460019,DID,,,
            """);
        Assert.Equal(["+2079460019", "+6468560587"], inventory.WithoutCountryCode().Select(n => n.Number).Order(StringComparer.Ordinal));
        var json = ReferenceReaders.ReadNumbers("""{"ListPhoneNumbersSummaryList":[{"PhoneNumber":"+16468560590","PhoneNumberType":"DID","PhoneNumberCountryCode":"US"},{"PhoneNumber":"646-856-0591","PhoneNumberType":"DID","PhoneNumberCountryCode":"US"}]}""");
        Assert.Equal(["+6468560591"], json.WithoutCountryCode().Select(n => n.Number));
    }

    [Theory]
    [InlineData("+81312340001", "+81312340001")]
    [InlineData("+81 3 1234 0001", "+81312340001")]
    [InlineData("0081312340001", "+81312340001")]
    [InlineData("+1\u2011206\u2011555\u20110147", "+12065550147")] // non-breaking hyphens, as a word processor writes them
    [InlineData("+44\u202F20\u20097946\u00A00018", "+442079460018")] // narrow, thin and no-break spaces
    [InlineData("+1 206 \u2013 555 \u2013 0147", "+12065550147")]   // en dashes
    [InlineData("anonymous", null)]
    [InlineData("Softphone", null)]
    [InlineData("sip:alice@example.com", null)]
    [InlineData(" ", null)]
    public void A_number_reads_as_one_E164_form_and_anything_else_as_none(string written, string? e164) => Assert.Equal(e164, PhoneNumbers.AsE164(written));

    [Theory]
    [InlineData("tel:+819012345678", "+819012345678")]
    [InlineData(" TEL:+81-90-1234-5678;ext=101 ", "+819012345678")] // RFC 3966 visual separators and a parameter
    [InlineData("+819012345678", null)]                               // no tel: URI (AsE164 reads it)
    [InlineData("tel:anonymous", null)]
    [InlineData("sip:+819012345678@example.com", null)]
    public void A_tel_uri_reads_as_the_number_it_names(string written, string? e164) => Assert.Equal(e164, PhoneNumbers.TelUriAsE164(written));

    [Theory]
    [InlineData("+34900123456", true)] // Spain's freephone 900
    [InlineData("+34800123456", true)]
    [InlineData("+34807123456", false)] // premium rate, not free
    [InlineData("+34912345678", false)] // Madrid landline
    [InlineData("+33801123456", true)] // France 0801..0804 are free calls as 0800 and 0805
    [InlineData("+33804123456", true)]
    [InlineData("+33806123456", false)]
    [InlineData("+18005550100", true)]
    [InlineData("+12065550100", false)]
    public void Without_an_inventory_a_number_is_toll_free_by_its_countrys_freephone_prefixes(string number, bool tollFree) =>
        Assert.Equal(tollFree, PhoneNumbers.LooksTollFree(number));

    [Theory]
    [InlineData("call +81 90 1111 2222 now", "call +8190****2222 now")]
    [InlineData("(206) 555-0123", "206****123")]
    [InlineData("as_of 2026-10-14T10:00:00Z, 42 rows, id 12345678", "as_of 2026-10-14T10:00:00Z, 42 rows, id 12345678")] // dates and counts stay
    [InlineData("+44\u00a020\u00a07946\u00a00018", "+4420****0018")] // a spreadsheet's no-break spaces
    [InlineData("+1\u2011206\u2011555\u20110147", "+120****0147")] // non-breaking hyphens
    [InlineData("+1 (206) - 555 - 0147", "+120****0147")] // runs of separators
    [InlineData("tel. 206\u2013555\u20130147", "tel. 206****147")] // en dashes
    [InlineData("from 2026\u201310\u201314 to 2026-10-15", "from 2026\u201310\u201314 to 2026-10-15")]
    public void Numbers_in_a_message_are_masked_and_nothing_else(string text, string masked) => Assert.Equal(masked, PhoneNumbers.MaskNumbersIn(text));

    [Theory]
    [InlineData("jane.doe,DESK_PHONE,+44\u00a020\u00a07946\u00a00018,2026-01-01", "7946")] // the header row is missing: the first row is quoted
    [InlineData("jane.doe,DESK_PHONE,+1\u2011206\u2011555\u20110147,2026-01-01", "555")]
    [InlineData("jane.doe,DESK_PHONE,+1 (206) - 555 - 0147,2026-01-01", "555")]
    [InlineData("username,phone_type,desk_phone_number,as_of\njane.doe,,DESK_PHONE,+1\u2011206\u2011555\u20110147", "555")] // columns shifted: the number is the as_of
    [InlineData("customer.service.representative.jane.doe,DESK_PHONE,12065550147,2026-01-01", "6555")] // clipped at 60 characters inside the number
    [InlineData("customer.service.representative.jane.doe1,DESK_PHONE,+12065550147,2026-01-01", "2065")]
    [InlineData("""{"User":{"Username":"service.rep.jane.do","Phone":"+12065550147"}}""", "2065")] // describe-user without PhoneConfig: the JSON is quoted
    public void An_agent_directory_error_does_not_show_a_desk_phone_number(string text, string hidden)
    {
        var message = Assert.Throws<FormatException>(() => ReferenceReaders.ReadAgents(text)).Message;
        Assert.DoesNotContain(hidden, message, StringComparison.Ordinal);
        Assert.Contains("***", message, StringComparison.Ordinal); // masked (a clip may cut the stars too)
    }

    [Fact]
    public void A_desk_phone_in_the_directory_is_known_as_an_agents_however_written_and_in_an_all_softphone_what_if_too()
    {
        var agents = ReferenceReaders.ReadAgents("username,phone_type,desk_phone_number,as_of\nsmith,DESK_PHONE,+1 (206) 555-0147,2026-11-01\njones,SOFT_PHONE,,\n");
        Assert.True(agents.IsDeskPhone("+12065550147")); // in any row, in force or not (smith's starts in November)
        Assert.True(agents.IsDeskPhone("001 206 555 0147"));
        Assert.True(agents.AllSoftphone().IsDeskPhone("+12065550147")); // the what-if changes the billing, not whose number it is
        Assert.False(agents.IsDeskPhone("+12065550100"));
        Assert.False(agents.IsDeskPhone(null));
        Assert.False(AgentDirectory.Empty.IsDeskPhone("+12065550147"));
    }

    [Fact]
    public void An_agent_row_without_a_date_is_in_force_at_any_time_and_its_desk_leg_says_so()
    {
        // Both forms: a CSV row with an empty as_of, describe-user output without LastModifiedTime.
        var csv = ReferenceReaders.ReadAgents("username,phone_type,desk_phone_number,as_of\ndesk,DESK_PHONE,+12065559999,\n");
        var json = ReferenceReaders.ReadAgents("""{"User":{"Username":"desk","PhoneConfig":{"PhoneType":"DESK_PHONE","DeskPhoneNumber":"+12065559999"}}}""");
        foreach (var agents in new[] { csv, json })
        {
            Assert.Null(agents.Lookup("desk", null, Instant.Parse("1971-01-01T00:00:00Z"))!.AsOf);
            var rater = new Rater(BuiltInRateCards.Default, BillingPolicy.Default, agents, NumberInventory.Missing);
            var desk = Enumerable.Range(0, 40).Select(seed => PropertyTests.RandomChain(new Random(seed)))
                .SelectMany(records => rater.Rate(new Chain(records[0].ContactId, records)).Legs)
                .First(l => l.Kind == LegKinds.DeskPhone);
            Assert.Contains("(directory row without a date)", desk.Why, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_quote_never_closed_is_refused_naming_its_line_not_read_as_the_rest_of_the_file()
    {
        // Was: "alice… and every line after it one username, bob's desk phone gone, no error.
        var agents = Assert.Throws<FormatException>(() => ReferenceReaders.ReadAgents("""
            username,phone_type,desk_phone_number,as_of
            "alice,SOFT_PHONE,,
            bob,DESK_PHONE,+819099998888,
            """)).Message;
        Assert.StartsWith("line 2: ", agents, StringComparison.Ordinal);
        Assert.Contains("never closed", agents, StringComparison.Ordinal);

        // The line the quote opens on, after a quoted field that spans two lines; and the inventory alike.
        var numbers = Assert.Throws<FormatException>(() => ReferenceReaders.ReadNumbers(
            "number,type,country,claimed_at,released_at\n\n+12065550100,DID,\"U\nS\",,\n+12065550101,DID,US,,\n+12065550102,\"DID,US,,\n+12065550103,DID,US,,\n")).Message;
        Assert.StartsWith("line 6: ", numbers, StringComparison.Ordinal);

        // A closed quote, a comma and a doubled quote in it, is still a value.
        var quoted = ReferenceReaders.ReadAgents("username,phone_type,desk_phone_number,as_of\n\"o\"\"brien, k\",DESK_PHONE,+12065550111,\n");
        Assert.Equal("+12065550111", quoted.Lookup("o\"brien, k", null, Instant.Parse("2026-10-01T00:00:00Z"))?.DeskPhoneNumber);
    }

    [Fact]
    public void A_row_with_a_value_past_the_header_is_refused_and_one_with_fewer_fields_reads_them_as_empty()
    {
        // Was: the fifth field dropped, the as_of read from the desk phone's column.
        var agents = Assert.Throws<FormatException>(() => ReferenceReaders.ReadAgents(
            "username,phone_type,desk_phone_number,as_of\nalice,SOFT_PHONE,,\nbob,DESK_PHONE,+81 90,9999 8888,2026-10-01T00:00:00Z\n")).Message;
        Assert.StartsWith("line 3 has 5 fields where the header has 4", agents, StringComparison.Ordinal);
        var numbers = Assert.Throws<FormatException>(() => ReferenceReaders.ReadNumbers(
            "number,type,country,claimed_at,released_at,instance_id\n+12065550100,DID,US,,,i-1,us-east-1\n")).Message;
        Assert.StartsWith("line 2 has 7 fields where the header has 6", numbers, StringComparison.Ordinal);

        var short_ = ReferenceReaders.ReadAgents("username,phone_type,desk_phone_number,as_of\nbob,DESK_PHONE,+819099998888\n");
        Assert.Null(short_.Lookup("bob", null, Instant.Parse("2000-01-01T00:00:00Z"))!.AsOf);

        // A spreadsheet's trailing commas: empty cells past the header, no value lost.
        var trailing = ReferenceReaders.ReadAgents("username,phone_type,desk_phone_number,as_of\nbob,DESK_PHONE,+819099998888,,,\n");
        Assert.Equal("+819099998888", trailing.Lookup("bob", null, Instant.Parse("2000-01-01T00:00:00Z"))!.DeskPhoneNumber);
    }

    [Fact]
    public void A_bad_value_is_refused_naming_its_line()
    {
        var message = Assert.Throws<FormatException>(() => ReferenceReaders.ReadAgents("username,phone_type,desk_phone_number,as_of\na,SOFT_PHONE,,\n\nb,DESK_PHONE,+12065550111,soon\n")).Message;
        Assert.StartsWith("line 4: Column as_of: 'soon'", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bob,DESK_PHONE,+819099998888,\nbob,SOFT_PHONE,,\n")]
    [InlineData("bob,DESK_PHONE,+819099998888,2026-10-01T00:00:00Z\nbob,DESK_PHONE,+819099997777,2026-10-01T00:00:00Z\n")]
    public void Two_rows_of_one_agent_as_of_one_time_that_differ_are_refused_naming_both_lines(string rows)
    {
        // Was: the later row won, so the bill depended on the order of the rows.
        var file = "username,phone_type,desk_phone_number,as_of\nalice,SOFT_PHONE,,\n" + rows;
        var message = Assert.Throws<FormatException>(() => ReferenceReaders.ReadAgents(file)).Message;
        Assert.StartsWith("line 3 and line 4 give agent 'bob' two phone settings", message, StringComparison.Ordinal);
        Assert.DoesNotContain("9999", message, StringComparison.Ordinal); // desk phones masked
    }

    [Fact]
    public void The_same_agent_row_twice_is_read_as_one()
    {
        var agents = ReferenceReaders.ReadAgents("username,phone_type,desk_phone_number,as_of\nbob,DESK_PHONE,+819099998888,\nbob,DESK_PHONE,+81 90 9999 8888,\n");
        Assert.Single(agents.Entries);
    }

    [Fact]
    public void Two_describe_user_outputs_of_one_user_and_one_time_that_differ_are_refused_and_two_instances_users_are_not()
    {
        const string smith = """{"User":{"Arn":"arn:aws:connect:us-east-1:1:instance/a/agent/u1","Username":"smith","PhoneConfig":{"PhoneType":"DESK_PHONE","DeskPhoneNumber":"+12065550111"}}}""";
        var message = Assert.Throws<FormatException>(() => ReferenceReaders.ReadAgents(
            smith + "\n" + smith.Replace("DESK_PHONE", "SOFT_PHONE", StringComparison.Ordinal))).Message;
        Assert.StartsWith("user 1 of the JSON and user 2 of the JSON give agent", message, StringComparison.Ordinal);
        Assert.Single(ReferenceReaders.ReadAgents(smith + "\n" + smith).Entries, e => e.Key == "smith"); // the same output twice

        // Another instance's smith, another agent: found by its ARN.
        var other = smith.Replace("instance/a/", "instance/b/", StringComparison.Ordinal).Replace("DESK_PHONE", "SOFT_PHONE", StringComparison.Ordinal);
        var agents = ReferenceReaders.ReadAgents($"[{smith},{other}]");
        Assert.Equal(PhoneTypes.SoftPhone, agents.Lookup("smith", "arn:aws:connect:us-east-1:1:instance/b/agent/u1", Instant.Parse("2026-10-01T00:00:00Z"))?.PhoneType);
    }

    [Theory]
    [InlineData("2026-11-20T00:00:00Z")] // dumped after the month: before the fix, no row in force
    [InlineData("2026-09-20T00:00:00Z")]
    public void A_describe_user_phone_type_applies_before_its_last_modified_time_too(string lastModified)
    {
        var agents = ReferenceReaders.ReadAgents($$$"""
            {"User":{"Arn":"arn:aws:connect:us-east-1:1:instance/i/agent/u1","Username":"smith","PhoneConfig":{"PhoneType":"DESK_PHONE","DeskPhoneNumber":"+12065550111"},"LastModifiedTime":"{{{lastModified}}}"}}
            """);
        var call = Instant.Parse("2026-10-14T10:00:00Z");
        var dated = Instant.Parse(lastModified);
        foreach (var entry in new[] { agents.Lookup("smith", null, call), agents.Lookup(null, "arn:aws:connect:us-east-1:1:instance/i/agent/u1", call) })
        {
            Assert.Equal("+12065550111", entry?.DeskPhoneNumber);
            Assert.Equal(dated, entry!.AsOf);
            Assert.Equal(dated > call, entry.Describe().Contains("dated after the call", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void A_later_describe_user_output_takes_over_from_its_time_and_csv_rows_keep_their_as_of()
    {
        var agents = ReferenceReaders.ReadAgents("""
            {"User":{"Username":"smith","PhoneConfig":{"PhoneType":"DESK_PHONE","DeskPhoneNumber":"+12065550111"},"LastModifiedTime":"2026-10-10T00:00:00Z"}}
            {"User":{"Username":"smith","PhoneConfig":{"PhoneType":"SOFT_PHONE"},"LastModifiedTime":"2026-10-20T00:00:00Z"}}
            """);
        Assert.Equal(PhoneTypes.DeskPhone, agents.Lookup("smith", null, Instant.Parse("2026-10-01T00:00:00Z"))?.PhoneType); // the earliest, before its date
        Assert.Equal(PhoneTypes.DeskPhone, agents.Lookup("smith", null, Instant.Parse("2026-10-14T00:00:00Z"))?.PhoneType);
        Assert.Equal(PhoneTypes.SoftPhone, agents.Lookup("smith", null, Instant.Parse("2026-10-21T00:00:00Z"))?.PhoneType);

        // A CSV row applies from its as_of on only.
        var csv = ReferenceReaders.ReadAgents("username,phone_type,desk_phone_number,as_of\nsmith,DESK_PHONE,+12065550111,2026-10-10T00:00:00Z\n");
        Assert.Null(csv.Lookup("smith", null, Instant.Parse("2026-10-01T00:00:00Z")));
    }

    [Fact]
    public void A_desk_leg_priced_from_a_describe_user_row_dated_after_the_call_says_so()
    {
        var agents = ReferenceReaders.ReadAgents("""{"User":{"Username":"desk","PhoneConfig":{"PhoneType":"DESK_PHONE","DeskPhoneNumber":"+12065559999"},"LastModifiedTime":"2999-01-01T00:00:00Z"}}""");
        var rater = new Rater(BuiltInRateCards.Default, BillingPolicy.Default, agents, NumberInventory.Missing);
        var desk = Enumerable.Range(0, 40).Select(seed => PropertyTests.RandomChain(new Random(seed)))
            .SelectMany(records => rater.Rate(new Chain(records[0].ContactId, records)).Legs)
            .First(l => l.Kind == LegKinds.DeskPhone);
        Assert.Contains("(directory as of 2999-01-01T00:00:00Z, dated after the call: describe-user gives the current phone type only", desk.Why, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[1]", "Expected describe-user output to be a JSON object, found Number: 1.")]
    [InlineData("""{"User":[]}""", "Expected User to be a JSON object, found Array")]
    [InlineData("""{"User":{"Username":"x","PhoneConfig":"DESK_PHONE"}}""", "Expected PhoneConfig to be a JSON object, found String")]
    [InlineData("""{"User":{"Username":"x","PhoneConfig":{"PhoneType":"DESK_PHONE"},"LastModifiedTime":"yesterday"}}""", "LastModifiedTime: 'yesterday' is not an ISO-8601 time")]
    [InlineData("{}", "Expected `aws connect describe-user` output (a User with its PhoneConfig), found {}")] // was read as an empty directory
    [InlineData("[]", "The JSON holds no user")]
    [InlineData("""{"UserSummaryList":[{"Id":"u1","Username":"x"}]}""", "This is `aws connect list-users` output, which has no phone settings")]
    public void Describe_user_json_of_another_shape_is_refused_with_what_was_found(string json, string message) =>
        Assert.Contains(message, Assert.Throws<FormatException>(() => ReferenceReaders.ReadAgents(json)).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData("""{"ListPhoneNumbersSummaryList":[null]}""")]
    [InlineData("""{"ListPhoneNumbersSummaryList":"+12065550100"}""")]
    [InlineData("[0.1]")]
    [InlineData("{}", "or a phone number object (with a PhoneNumber), found {}")] // was read as an inventory without numbers
    [InlineData("""{"ListPhoneNumbersSummaryList":[]}""", "The JSON holds no phone number")]
    public void Phone_number_json_of_another_shape_is_refused_with_what_was_found(string json, string message = "to be a JSON object, found") =>
        Assert.Contains(message, Assert.Throws<FormatException>(() => ReferenceReaders.ReadNumbers(json)).Message, StringComparison.Ordinal);

    [Fact]
    public void The_older_list_phone_numbers_output_is_read_too()
    {
        var numbers = ReferenceReaders.ReadNumbers("""
            {"PhoneNumberSummaryList":[{"Id":"p1","Arn":"arn:aws:connect:us-east-1:1:instance/i/phone-number/p1","PhoneNumber":"+18005550100","PhoneNumberType":"TOLL_FREE","PhoneNumberCountryCode":"US"}]}
            """);
        Assert.Equal(NumberTypes.TollFree, numbers.TypeOf("+18005550100"));
    }

    [Theory]
    [InlineData("+819011112222", "JP")]
    [InlineData("+12065550100", "US")]
    [InlineData("+14165550100", "CA")]
    [InlineData("+442071234567", "GB")]
    [InlineData("+85221234567", "HK")]
    [InlineData("+18765550100", "JM")] // the North American plan's other members, by area code
    [InlineData("+17875550100", "PR")]
    [InlineData("+12425550100", "BS")]
    [InlineData("+77011234567", "KZ")] // inside Russia's +7
    [InlineData("+74951234567", "RU")]
    [InlineData("+380441234567", "UA")]
    [InlineData("+50022222", "FK")]
    [InlineData("+2348012345678", "NG")]
    [InlineData("+9647712345678", "IQ")]
    [InlineData("+881612345678", "ZZ")] // a satellite network, no country
    [InlineData("Softphone", "ZZ")]
    public void Countries_come_from_calling_codes(string number, string country) => Assert.Equal(country, PhoneNumbers.CountryOf(number));

    [Theory]
    [InlineData("+819011112222", "+8190****2222")]
    [InlineData("+14155550123", "+141****0123")]
    [InlineData("+1 (415) 555-0123", "+141****0123")] // formatting does not change the mask
    [InlineData("+123456789", "+12****789")]
    [InlineData("+50022222", "+50****22")]           // a short number keeps at least four digits hidden
    [InlineData("09012345678", "090****5678")]
    [InlineData("+123", "+****")]
    [InlineData("+447700900123456", "+4477****3456")]
    [InlineData("customer@example.com", "****")]
    [InlineData("tel:+819011112222", "+8190****2222")]              // a tel: URI masks as the number it names
    [InlineData("tel:+81-90-1111-2222;ext=123", "+8190****2222")]   // its parameters' digits left out
    public void Masking_keeps_only_the_ends_and_hides_at_least_four_digits(string number, string masked) => Assert.Equal(masked, PhoneNumbers.Mask(number));

    [Theory]
    [InlineData("2022-01-05T17:28:17Z", 1641403697)]
    [InlineData("2022-01-05T17:28:17.987Z", 1641403697)]
    [InlineData("2022-01-05T18:28:17+01:00", 1641403697)]
    public void Timestamps_parse_to_whole_utc_seconds(string text, long unix) => Assert.Equal(unix, Instant.Parse(text).UnixSeconds);

    [Fact]
    public void Impossible_timestamps_are_rejected()
    {
        Assert.False(Instant.TryParse("2022-02-30T00:00:00Z"u8, out _));
        Assert.False(Instant.TryParse("yesterday"u8, out _));
    }

    [Fact]
    public void Parser_keeps_contact_lens_flag_and_instance()
    {
        var outcome = new CtrParser().Parse("""{"ContactId":"x","Channel":"VOICE","InitiationTimestamp":"2026-10-14T10:00:00Z","DisconnectTimestamp":"2026-10-14T10:01:00Z","InstanceARN":"arn:aws:connect:us-east-1:1:instance/abc","ContactLens":{"ConversationalAnalytics":{"Configuration":{"Enabled":true,"ChannelConfiguration":{"AnalyticsModes":["PostContact"]}}}}}"""u8);
        Assert.True(outcome.Record!.ContactLensEnabled);
        Assert.Equal("us-east-1", outcome.Record.Region);
        Assert.Equal("abc", outcome.Record.InstanceId);
    }
}
