using System.Text.Encodings.Web;
using System.Text.Json;

namespace ConnectReconcile.Generator.Internals;

internal sealed class PhoneNumber(string e164, bool tollFree, string country, long claimedAt)
{
    public string E164 { get; } = e164;
    public bool TollFree { get; } = tollFree;
    public string Country { get; } = country;
    public long ClaimedAt { get; } = claimedAt;
    public JsonEncodedText Json { get; } = Instance.Encode(e164);
}

internal sealed class AgentDef
{
    public required string Username { get; init; }
    public required Guid Id { get; init; }
    public required bool Desk { get; init; }
    public string? DeskNumber { get; init; }
    public required long AsOf { get; init; }
    public required int Profile { get; init; }
    public required int Hierarchy { get; init; }   // -1 = HierarchyGroups null
    public required JsonEncodedText Arn { get; init; }
    public required JsonEncodedText UsernameJson { get; init; }
    public required JsonEncodedText AgentQueueArn { get; init; }
}

internal sealed class NamedArn(string name, string arn)
{
    public string Name { get; } = name;
    public JsonEncodedText NameJson { get; } = Instance.Encode(name);
    public JsonEncodedText Arn { get; } = Instance.Encode(arn);
}

/// <summary>The simulated Amazon Connect instance: account, numbers, agents, queues, profiles.</summary>
internal sealed class Instance
{
    private static readonly string[] UsFirst = ["james", "mary", "john", "patricia", "robert", "jennifer", "michael", "linda", "william", "elizabeth", "david", "barbara", "richard", "susan", "joseph", "jessica", "thomas", "sarah", "carlos", "maria", "wei", "priya", "ahmed", "olga"];
    private static readonly string[] UsLast = ["smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "rodriguez", "martinez", "hernandez", "lopez", "gonzalez", "wilson", "anderson", "thomas", "taylor", "moore", "jackson", "martin", "lee", "perez", "thompson", "white"];
    private static readonly string[] JpFamily = ["sato", "suzuki", "takahashi", "tanaka", "watanabe", "ito", "yamamoto", "nakamura", "kobayashi", "kato", "yoshida", "yamada", "sasaki", "yamaguchi", "matsumoto", "inoue", "kimura", "hayashi", "shimizu", "saito"];
    private static readonly string[] JpGiven = ["haruto", "yui", "sota", "hina", "yuto", "mei", "riku", "aoi", "ren", "sakura", "kenji", "yuki", "takumi", "mio", "daiki", "nana"];

    private static readonly string[] ProfileNames = ["Basic Routing Profile", "Inbound Tier 1", "Inbound Tier 2", "Sales", "Outbound Dialer"];
    private static readonly string[] JpSites = ["Tokyo", "Osaka"];
    private static readonly string[] UsSites = ["NYC", "Dallas", "Phoenix"];
    private static readonly string[] JpQueues = ["Support", "Billing", "Sales", "お客様サポート", "Retention", "VIP"];
    private static readonly string[] UsQueues = ["Support", "Billing", "Sales", "TechSupport", "Retention", "VIP"];

    public required string Region { get; init; }
    public required string Country { get; init; }          // ISO alpha-2 of the instance's numbers
    public required bool Japan { get; init; }
    public required string AccountId { get; init; }
    public required string InstanceId { get; init; }
    public required string InstanceArn { get; init; }
    public required string RecordingPrefix { get; init; }  // bucket/connect/alias/CallRecordings/
    public required PhoneNumber[] Numbers { get; init; }
    public required int[] Dids { get; init; }
    public required int[] TollFrees { get; init; }
    public required AgentDef[] Agents { get; init; }
    public required int[] SoftAgents { get; init; }
    public required int[] DeskAgents { get; init; }
    public required NamedArn[] Queues { get; init; }        // inbound voice queues
    public required NamedArn ChatQueue { get; init; }
    public required NamedArn OutboundQueue { get; init; }
    public required NamedArn[] Profiles { get; init; }
    public required (NamedArn Level1, NamedArn Level2)[] Hierarchies { get; init; }

    public static JsonEncodedText Encode(string s) => JsonEncodedText.Encode(s, JavaScriptEncoder.UnsafeRelaxedJsonEscaping);

    public static Instance Create(string region, Random r, int contacts, int days, long start)
    {
        var japan = region switch
        {
            "us-east-1" => false,
            "ap-northeast-1" => true,
            _ => throw new ArgumentException($"unsupported region '{region}' (supported: {string.Join(", ", GeneratorOptions.SupportedRegions)})", nameof(region)),
        };
        var country = japan ? "JP" : "US";
        var account = r.NextInt64(100_000_000_000, 1_000_000_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var instanceId = Rng.NewGuid(r).ToString("D");
        var instanceArn = $"arn:aws:connect:{region}:{account}:instance/{instanceId}";
        var bucket = "amazon-connect-" + Rng.NewGuid(r).ToString("N")[..12];
        var alias = japan ? "acme-jp" : "acme-care";

        // Numbers: DIDs and toll-free, all claimed before the range and held all of it.
        var perDay = Math.Max(1, contacts / Math.Max(1, days));
        var didCount = Math.Clamp(3 + (contacts / 50_000), 3, 30);
        var tfCount = Math.Clamp(2 + (contacts / 100_000), 2, 12);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var numbers = new List<PhoneNumber>();
        long Claimed() => start - (86_400L * r.Next(10, 900)) - r.Next(0, 86_400);
        for (var i = 0; i < didCount; i++)
        {
            numbers.Add(new PhoneNumber(Unique(seen, () => Phones.Did(r, japan)), false, country, Claimed()));
        }

        for (var i = 0; i < tfCount; i++)
        {
            numbers.Add(new PhoneNumber(Unique(seen, () => Phones.TollFree(r, japan)), true, country, Claimed()));
        }

        var queueNames = japan ? JpQueues : UsQueues;
        var queues = queueNames.Select(n => new NamedArn(n, $"{instanceArn}/queue/{Rng.NewGuid(r):D}")).ToArray();
        var chatQueue = new NamedArn("Chat", $"{instanceArn}/queue/{Rng.NewGuid(r):D}");
        var outboundQueue = new NamedArn("Outbound", $"{instanceArn}/queue/{Rng.NewGuid(r):D}");
        var profiles = ProfileNames.Select(n => new NamedArn(n, $"{instanceArn}/routing-profile/{Rng.NewGuid(r):D}")).ToArray();
        var sites = japan ? JpSites : UsSites;
        var hierarchies = new List<(NamedArn, NamedArn)>();
        foreach (var site in sites)
        {
            var l1 = new NamedArn(site, $"{instanceArn}/agent-group/{Rng.NewGuid(r):D}");
            for (var t = 1; t <= 4; t++)
            {
                hierarchies.Add((l1, new NamedArn($"{site} Team {t:D2}", $"{instanceArn}/agent-group/{Rng.NewGuid(r):D}")));
            }
        }

        // Agents: ~10 % on desk phones (at least two), the rest on softphones.
        var agentCount = Math.Clamp((perDay + 29) / 30, 12, 5000);
        var deskCount = Math.Max(2, (agentCount + 5) / 10);
        var order = Enumerable.Range(0, agentCount).ToArray();
        r.Shuffle(order);
        var deskSet = new HashSet<int>(order.Take(deskCount));
        var names = new HashSet<string>(StringComparer.Ordinal);
        var agents = new AgentDef[agentCount];
        for (var i = 0; i < agentCount; i++)
        {
            var baseName = japan
                ? $"{Rng.Pick(r, JpFamily)}.{Rng.Pick(r, JpGiven)}"
                : $"{Rng.Pick(r, UsFirst)}.{Rng.Pick(r, UsLast)}";
            var name = baseName;
            for (var n = 2; !names.Add(name); n++)
            {
                name = baseName + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            var id = Rng.NewGuid(r);
            var desk = deskSet.Contains(i);
            agents[i] = new AgentDef
            {
                Username = name,
                Id = id,
                Desk = desk,
                DeskNumber = desk ? Unique(seen, () => Phones.Landline(r, japan)) : null,
                AsOf = start - (86_400L * r.Next(1, 120)) - r.Next(0, 86_400),
                Profile = r.Next(profiles.Length),
                Hierarchy = Rng.Chance(r, 0.35) ? -1 : r.Next(hierarchies.Count),
                Arn = Encode($"{instanceArn}/agent/{id:D}"),
                UsernameJson = Encode(name),
                AgentQueueArn = Encode($"{instanceArn}/queue/agent/{id:D}"),
            };
        }

        return new Instance
        {
            Region = region,
            Country = country,
            Japan = japan,
            AccountId = account,
            InstanceId = instanceId,
            InstanceArn = instanceArn,
            RecordingPrefix = $"{bucket}/connect/{alias}/CallRecordings/",
            Numbers = [.. numbers],
            Dids = [.. Enumerable.Range(0, numbers.Count).Where(i => !numbers[i].TollFree)],
            TollFrees = [.. Enumerable.Range(0, numbers.Count).Where(i => numbers[i].TollFree)],
            Agents = agents,
            SoftAgents = [.. Enumerable.Range(0, agentCount).Where(i => !agents[i].Desk)],
            DeskAgents = [.. Enumerable.Range(0, agentCount).Where(i => agents[i].Desk)],
            Queues = queues,
            ChatQueue = chatQueue,
            OutboundQueue = outboundQueue,
            Profiles = profiles,
            Hierarchies = [.. hierarchies],
        };
    }

    private static string Unique(HashSet<string> seen, Func<string> make)
    {
        while (true)
        {
            var s = make();
            if (seen.Add(s))
            {
                return s;
            }
        }
    }
}

/// <summary>E.164 number ranges. US: NANP geographic area codes (mobile and landline share them);
/// JP: 070/080/090 mobile, 03/06/052/045/092/011 landline, 0120/0800 toll-free.</summary>
internal static class Phones
{
    private static readonly string[] UsAreas = ["212", "646", "718", "917", "206", "425", "312", "773", "415", "510", "617", "713", "832", "303", "404", "305", "702", "503", "612", "214", "602", "720", "215", "313", "704", "919", "615", "801", "216", "412"];
    private static readonly string[] UsDidAreas = ["206", "212", "312", "646", "415", "713"];
    private static readonly string[] UsTollFree = ["800", "833", "844", "855", "866", "877", "888"];

    public static string Did(Random r, bool japan) => japan
        ? r.Next(3) switch
        {
            0 => "+813" + r.Next(5, 7) + Digits(r, 7),
            1 => "+816" + r.Next(6, 7) + Digits(r, 7),
            _ => "+8152" + Digits(r, 7),
        }
        : "+1" + Rng.Pick(r, UsDidAreas) + Nxx(r) + Digits(r, 4);

    public static string TollFree(Random r, bool japan) => japan
        ? (r.Next(2) == 0 ? "+81120" + Digits(r, 6) : "+81800" + Digits(r, 7))
        : "+1" + Rng.Pick(r, UsTollFree) + Nxx(r) + Digits(r, 4);

    /// <summary>A domestic landline (desk phones, third parties, some customers).</summary>
    public static string Landline(Random r, bool japan) => japan
        ? r.Next(6) switch
        {
            0 or 1 => "+813" + r.Next(3, 7) + Digits(r, 7),
            2 => "+816" + r.Next(6, 8) + Digits(r, 7),
            3 => "+8145" + Digits(r, 7),
            4 => "+8192" + Digits(r, 7),
            _ => "+8111" + Digits(r, 7),
        }
        : "+1" + Rng.Pick(r, UsAreas) + Nxx(r) + Digits(r, 4);

    /// <summary>A domestic mobile number (JP 070/080/090; US numbers do not reveal mobile vs landline).</summary>
    public static string Mobile(Random r, bool japan) => japan
        ? r.Next(3) switch
        {
            0 => "+8190" + r.Next(1, 10) + Digits(r, 7),
            1 => "+8180" + r.Next(1, 10) + Digits(r, 7),
            _ => "+8170" + r.Next(1, 10) + Digits(r, 7),
        }
        : "+1" + Rng.Pick(r, UsAreas) + Nxx(r) + Digits(r, 4);

    /// <summary>A caller or callee: mobiles and landlines mixed.</summary>
    public static string Customer(Random r, bool japan, int mobilePercent) =>
        r.Next(100) < mobilePercent ? Mobile(r, japan) : Landline(r, japan);

    private static string Nxx(Random r)
    {
        var v = r.Next(200, 1000);
        if (v % 100 == 11 || v == 555 || v == 950 || v == 958 || v == 959 || v == 976)
        {
            v++;
        }

        return v.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string Digits(Random r, int n)
    {
        Span<char> c = stackalloc char[n];
        for (var i = 0; i < n; i++)
        {
            c[i] = (char)('0' + r.Next(10));
        }

        return new string(c);
    }
}
