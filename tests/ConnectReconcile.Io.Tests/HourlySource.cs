using System.Globalization;

namespace ConnectReconcile.Io.Tests;

/// <summary>A Firehose-shaped local source (yyyy/MM/dd/HH folders) of minimal CTRs, for the dated-run tests.</summary>
internal static class HourlySource
{
    /// <summary>Writes <paramref name="json"/> as one more object under the arrival hour's folder of <paramref name="root"/>.</summary>
    public static void Put(string root, DateTime arrival, string json)
    {
        var folder = Path.Combine(root, arrival.ToString("yyyy'/'MM'/'dd'/'HH", CultureInfo.InvariantCulture));
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, $"ctr-{Directory.GetFiles(folder).Length}.json"), json);
    }

    /// <summary>An inbound contact on one instance, its ContactId made from <paramref name="id"/>.</summary>
    public static string Ctr(int id, DateTime start, DateTime end, DateTime lastUpdate, string channel = "VOICE") => $$"""
        {"AWSAccountId":"111122223333","AWSContactTraceRecordFormatVersion":"2017-03-10","Agent":null,"Attributes":{},
         "Channel":"{{channel}}","ConnectedToSystemTimestamp":"{{T(start)}}","ContactId":"{{new Guid(id, 0, 0, new byte[8])}}",
         "CustomerEndpoint":{"Address":"+819011112224","Type":"TELEPHONE_NUMBER"},"DisconnectTimestamp":"{{T(end)}}",
         "InitialContactId":null,"InitiationMethod":"INBOUND","InitiationTimestamp":"{{T(start)}}",
         "InstanceARN":"arn:aws:connect:ap-northeast-1:111122223333:instance/aaaaaaaa-0000-4000-8000-000000000001","LastUpdateTimestamp":"{{T(lastUpdate)}}",
         "NextContactId":null,"PreviousContactId":null,"Queue":null,
         "SystemEndpoint":{"Address":"+81312340001","Type":"TELEPHONE_NUMBER"},"TransferCompletedTimestamp":null,"TransferredToEndpoint":null}
        """;

    private static string T(DateTime t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
