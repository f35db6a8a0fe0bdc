using System.Globalization;

namespace ConnectReconcile.Io.Tests;

/// <summary>A Firehose-shaped local source (yyyy/MM/dd/HH folders) of minimal CTRs, for the dated-run and number-day tests.</summary>
internal static class HourlySource
{
    /// <summary>The instance the CTRs name unless told otherwise.</summary>
    public const string Instance = "aaaaaaaa-0000-4000-8000-000000000001";

    /// <summary>Writes <paramref name="json"/> as one more object under the arrival hour's folder of <paramref name="root"/>.</summary>
    public static void Put(string root, DateTime arrival, string json) =>
        Put(root, arrival.ToString("yyyy'/'MM'/'dd'/'HH", CultureInfo.InvariantCulture), json);

    /// <summary>Writes <paramref name="json"/> as one more object under <paramref name="hour"/> (<c>yyyy/MM/dd/HH</c>) of <paramref name="root"/>.</summary>
    public static void Put(string root, string hour, string json)
    {
        var folder = Path.Combine(root, hour);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, $"ctr-{Directory.GetFiles(folder).Length}.json"), json);
    }

    /// <summary>An inbound contact, its ContactId made from <paramref name="id"/>.</summary>
    public static string Ctr(int id, DateTime start, DateTime end, DateTime lastUpdate, string channel = "VOICE") =>
        Ctr(id, T(start), T(end), T(lastUpdate), channel);

    /// <summary>An inbound contact with its timestamps as written, dialled on <paramref name="system"/> of <paramref name="instance"/>.</summary>
    public static string Ctr(int id, string start, string end, string lastUpdate, string channel = "VOICE", string system = "+81312340001", string instance = Instance) => $$"""
        {"AWSAccountId":"111122223333","AWSContactTraceRecordFormatVersion":"2017-03-10","Agent":null,"Attributes":{},
         "Channel":"{{channel}}","ConnectedToSystemTimestamp":"{{start}}","ContactId":"{{new Guid(id, 0, 0, new byte[8])}}",
         "CustomerEndpoint":{"Address":"+819011112224","Type":"TELEPHONE_NUMBER"},"DisconnectTimestamp":"{{end}}",
         "InitialContactId":null,"InitiationMethod":"INBOUND","InitiationTimestamp":"{{start}}",
         "InstanceARN":"arn:aws:connect:ap-northeast-1:111122223333:instance/{{instance}}","LastUpdateTimestamp":"{{lastUpdate}}",
         "NextContactId":null,"PreviousContactId":null,"Queue":null,
         "SystemEndpoint":{"Address":"{{system}}","Type":"TELEPHONE_NUMBER"},"TransferCompletedTimestamp":null,"TransferredToEndpoint":null}
        """;

    private static string T(DateTime t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
