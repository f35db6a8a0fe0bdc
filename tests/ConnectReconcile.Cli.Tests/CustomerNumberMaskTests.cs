namespace ConnectReconcile.Cli.Tests;

/// <summary>One number written two ways masks the same: every table and export masks its E.164 form, as legs carry it.</summary>
public sealed class CustomerNumberMaskTests
{
    [Fact]
    public async Task Audit_export_masks_the_customer_number_in_its_E164_form_as_leg_number_is()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.Sub("ctr"));
        var json = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "fixtures", "scenarios", "s10-short-outbound", "ctrs.json"));
        await File.WriteAllTextAsync(Path.Combine(dir.Sub("ctr"), "ctrs.json"), json.Replace("\"+12065550188\"", "\"0081 90 3333 4444\"", StringComparison.Ordinal));

        var (exit, _, err) = await CliRunner.RunAsync("audit-export", "--source", dir.Sub("ctr"), "--out", dir.Sub("audit.csv"));
        Assert.True(exit == 0, err);
        var rows = (await File.ReadAllLinesAsync(dir.Sub("audit.csv"))).Skip(1).Select(l => l.Split(',')).ToList();
        var header = (await File.ReadAllLinesAsync(dir.Sub("audit.csv")))[0].Split(',');
        var (customer, leg) = (Array.IndexOf(header, "customer_number"), Array.IndexOf(header, "leg_number"));
        var outbound = Assert.Single(rows, r => r[Array.IndexOf(header, "charge_kind")] == "telephony:outbound");
        Assert.Equal("'+8190****4444", outbound[leg]); // was 0081****4444 in customer_number
        Assert.Equal(outbound[leg], outbound[customer]);
    }
}
