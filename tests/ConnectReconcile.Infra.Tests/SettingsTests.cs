namespace ConnectReconcile.Infra.Tests;

/// <summary>Context parsing and validation: pure .NET, no synth.</summary>
public sealed class SettingsTests
{
    private static InfraSettings From(params (string Key, object Value)[] context)
    {
        var map = context.ToDictionary(c => c.Key, c => c.Value);
        return InfraSettings.FromContext(key => map.GetValueOrDefault(key));
    }

    [Fact]
    public void No_context_uses_placeholders_so_synth_works()
    {
        var s = From();
        Assert.True(s.UsesPlaceholders);
        Assert.Equal(InfraSettings.PlaceholderCtrSource, s.CtrSource!.Uri);
        Assert.Equal(InfraSettings.PlaceholderCurSource, s.CurSource.Uri);
        Assert.Null(s.KinesisStreamArn);
        Assert.Equal("connect-reconcile/", s.OutputPrefixNormalised);
        Assert.Equal(10, s.ReplayConcurrency);
    }

    [Fact]
    public void A_stream_alone_disables_the_placeholder_CTR_source()
    {
        var s = From(("kinesisStreamArn", Synthesized.StreamArn));
        Assert.False(s.UsesPlaceholders);
        Assert.Null(s.CtrSource);
        Assert.Equal("connect-ctr", s.KinesisStreamName);
    }

    [Theory]
    [InlineData("s3://bucket-a/ctr", "bucket-a", "ctr/")]
    [InlineData("s3://bucket-a/ctr/", "bucket-a", "ctr/")]
    [InlineData("s3://bucket-a", "bucket-a", "")]
    [InlineData("s3://bucket-a/", "bucket-a", "")]
    [InlineData("s3://my.bucket-1/a/b/c", "my.bucket-1", "a/b/c/")]
    public void S3_locations_normalise_the_prefix(string uri, string bucket, string prefix)
    {
        var location = S3Location.Parse(uri);
        Assert.Equal(bucket, location.Bucket);
        Assert.Equal(prefix, location.Prefix);
    }

    [Theory]
    [InlineData("bucket/prefix")]
    [InlineData("s3://UPPER/prefix")]
    [InlineData("https://bucket.example/prefix")]
    public void Bad_S3_locations_are_refused(string uri) =>
        Assert.Throws<ArgumentException>(() => S3Location.Parse(uri));

    [Fact]
    public void Rate_card_must_be_an_object()
    {
        Assert.Throws<ArgumentException>(() => From(("rateCard", "s3://cfg/rates/")));
        Assert.Equal("rates/card.json", From(("rateCard", "s3://cfg/rates/card.json")).RateCard!.Prefix);
    }

    [Theory]
    [InlineData("kinesisStreamArn", "arn:aws:kinesis:eu-west-2:111122223333:*")]
    [InlineData("ctrKmsKeyArn", "arn:aws:kms:eu-west-2:111122223333:key/*")]
    [InlineData("curKmsKeyArn", "alias/aws/s3")]
    [InlineData("replayConcurrency", "0")]
    [InlineData("replayConcurrency", "ten")]
    [InlineData("logRetentionDays", "0")]
    [InlineData("cpuArchitecture", "mips")]
    [InlineData("vpcId", "vpc-123")]
    [InlineData("glueDatabase", "Connect-Reconcile")]
    [InlineData("partitionStart", "2020-1-1")]
    [InlineData("curAccount", "12345")]
    [InlineData("curAccount", "arn:aws:iam::111122223333:root")]
    [InlineData("stackName", "1stack")]
    [InlineData("stackName", "a-stack-name-so-long-that-its-replay-state-machine-name-would-pass-eighty-chars")]
    [InlineData("referenceKmsKeyArn", "alias/aws/s3")]
    public void Bad_context_fails_synth_with_a_message(string key, string value)
    {
        var ex = Assert.Throws<ArgumentException>(() => From(("ctrSource", "s3://ctr-bucket/ctr/"), (key, value)));
        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
    }

    [Fact]
    public void Retention_must_be_a_CloudWatch_value()
    {
        Assert.Throws<ArgumentException>(() => ConnectReconcileStack.ToRetention(45));
        Assert.Equal(Amazon.CDK.AWS.Logs.RetentionDays.THREE_MONTHS, ConnectReconcileStack.ToRetention(90));
    }

    [Fact]
    public void Numbers_and_lists_from_cdk_json_are_accepted()
    {
        var s = From(("ctrSource", "s3://ctr-bucket/ctr/"), ("replayConcurrency", 40d), ("vpcId", "vpc-1"),
            ("subnetIds", new object[] { "subnet-1", "subnet-2" }), ("assignPublicIp", "true"));
        Assert.Equal(40, s.ReplayConcurrency);
        Assert.Equal(["subnet-1", "subnet-2"], s.SubnetIds);
        Assert.True(s.AssignPublicIp);
    }

    [Fact]
    public void Output_bucket_cannot_be_an_input_bucket()
    {
        Assert.Throws<ArgumentException>(() => From(("ctrSource", "s3://shared/ctr/"), ("outputBucketName", "shared")));
    }

    [Fact]
    public void A_reference_key_needs_a_reference_file()
    {
        Assert.Throws<ArgumentException>(() => From(("ctrSource", "s3://ctr-bucket/ctr/"), ("referenceKmsKeyArn", Synthesized.ReferenceKeyArn)));
        _ = From(("rateCard", "s3://cfg/card.json"), ("referenceKmsKeyArn", Synthesized.ReferenceKeyArn));
    }

    [Fact]
    public void A_stack_name_may_be_73_characters_so_that_its_replay_state_machine_name_fits_in_80()
    {
        var longest = "S" + new string('x', 72);
        Assert.Equal(longest, From(("stackName", longest)).StackName);
        Assert.Throws<ArgumentException>(() => From(("stackName", longest + "x")));
    }

    [Fact]
    public void Nightly_script_rates_yesterday_then_reconciles_through_the_day_before()
    {
        // reconcile gets the rating's reference files (the rate card prices what we expected) and the account.
        var s = From(("ctrSource", "s3://ctr-bucket/ctr/"), ("curSource", "s3://cur-bucket/cur/"), ("rateCard", "s3://cfg/card.json"),
            ("curAccount", "123456789012"));
        var script = ConnectReconcileStack.NightlyScript(s, "s3://out/rated/");
        Assert.Equal(
            """
            set -eu
            day="${REPORT_DATE:-$(date -u -d yesterday +%Y-%m-%d)}"
            through="$(date -u -d "$day -1 day" +%Y-%m-%d)"
            echo "ConnectReconcile nightly for $day (reconciling through $through)"
            connect-reconcile nightly --date "$day" --source 's3://ctr-bucket/ctr/' --out 's3://out/rated/' --rate-card 's3://cfg/card.json'
            exec connect-reconcile reconcile --cur 's3://cur-bucket/cur/' --rated 's3://out/rated/' --month "${through%-*}" --through "$through" --account '123456789012' --rate-card 's3://cfg/card.json'
            """.ReplaceLineEndings("\n"),
            script);
    }

    [Fact]
    public void Nightly_script_compares_every_account_with_curAccount_all()
    {
        var s = From(("ctrSource", "s3://ctr-bucket/ctr/"), ("curAccount", "ALL"), ("agents", "s3://cfg/agents.csv"));
        var script = ConnectReconcileStack.NightlyScript(s, "s3://out/rated/");
        Assert.DoesNotContain("--account", script, StringComparison.Ordinal);
        Assert.EndsWith("--through \"$through\" --agents 's3://cfg/agents.csv'", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Nightly_script_without_a_CTR_bucket_only_reconciles()
    {
        // An explicit curAccount keeps these tests off jsii (the default is the AWS::AccountId token).
        var s = From(("kinesisStreamArn", Synthesized.StreamArn), ("curAccount", "123456789012"));
        var script = ConnectReconcileStack.NightlyScript(s, "s3://out/rated/");
        Assert.DoesNotContain("connect-reconcile nightly", script, StringComparison.Ordinal);
        Assert.Contains("exec connect-reconcile reconcile", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Nightly_script_is_valid_POSIX_shell()
    {
        // `sh -n` parses without running; skipped silently where no sh exists.
        var script = ConnectReconcileStack.NightlyScript(From(("rateCard", "s3://cfg/card.json"), ("curAccount", "123456789012")), "s3://out/rated/");
        if (!File.Exists("/bin/sh"))
        {
            return;
        }

        var psi = new System.Diagnostics.ProcessStartInfo("/bin/sh", ["-n", "-c", script]) { RedirectStandardError = true };
        using var process = System.Diagnostics.Process.Start(psi)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, error);
    }
}
