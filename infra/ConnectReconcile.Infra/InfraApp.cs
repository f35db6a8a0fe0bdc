using Amazon.CDK;

namespace ConnectReconcile.Infra;

/// <summary>
/// Builds the CDK app the same way for `cdk synth` (Program) and for the tests, so that both see
/// the same feature flags: flags live here, not in cdk.json, because tests do not read cdk.json.
/// </summary>
public static class InfraApp
{
    /// <summary>CDK feature flags this app relies on.</summary>
    public static IReadOnlyDictionary<string, object> FeatureFlags { get; } = new Dictionary<string, object>
    {
        // Server access logs are delivered under a bucket policy, not the legacy LogDeliveryWrite ACL
        // (ACLs are disabled: every bucket is BucketOwnerEnforced).
        ["@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy"] = true,
        ["@aws-cdk/core:enablePartitionLiterals"] = true,
    };

    public static App NewApp(IDictionary<string, object>? context = null, string? outdir = null)
    {
        var all = new Dictionary<string, object>(FeatureFlags);
        if (context is not null)
        {
            foreach (var (key, value) in context)
            {
                all[key] = value;
            }
        }

        return new App(new AppProps { Context = all, Outdir = outdir });
    }

    /// <summary>Settings from the app's context (CLI -c values and cdk.json), then the stack.</summary>
    public static ConnectReconcileStack AddStack(App app)
    {
        var settings = InfraSettings.FromContext(key => app.Node.TryGetContext(key));
        // Environment-agnostic: deploys to the account/region of the credentials `cdk deploy` uses.
        return new ConnectReconcileStack(app, settings.StackName, settings);
    }
}
