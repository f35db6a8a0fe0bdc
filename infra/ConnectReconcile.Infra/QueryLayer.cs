using Amazon.CDK;
using Amazon.CDK.AWS.Athena;
using Amazon.CDK.AWS.Glue;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.KMS;
using Amazon.CDK.AWS.S3;
using S3LifecycleRule = Amazon.CDK.AWS.S3.LifecycleRule;
using Constructs;

namespace ConnectReconcile.Infra;

public sealed class QueryLayerProps
{
    public required InfraSettings Settings { get; init; }
    public required IBucket OutputBucket { get; init; }
    public required string OutputPrefix { get; init; }
    public required IKey Key { get; init; }
    public required IBucket AccessLogsBucket { get; init; }
}

/// <summary>
/// Glue database + one table per Parquet output (partition projection on <c>dt</c>, or <c>month</c> for
/// the reconciliation tables; no crawler) and
/// one over the CUR 2.0 export (projection on <c>billing_period</c>); an Athena workgroup whose
/// results are KMS-encrypted in their own bucket; the reconciliation views as named queries; and a
/// managed policy that lets a person or role query all of it and nothing else.
/// </summary>
public sealed class QueryLayer : Construct
{
    public CfnDatabase Database { get; }
    public IReadOnlyList<CfnTable> Tables { get; }
    public Bucket ResultsBucket { get; }
    public CfnWorkGroup Workgroup { get; }
    public ManagedPolicy AnalystPolicy { get; }

    private const string ParquetInput = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat";
    private const string ParquetOutput = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat";
    private const string ParquetSerde = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe";

    public QueryLayer(Construct scope, string id, QueryLayerProps props) : base(scope, id)
    {
        var settings = props.Settings;
        var databaseName = settings.GlueDatabase;

        Database = new CfnDatabase(this, "Database", new CfnDatabaseProps
        {
            CatalogId = Aws.ACCOUNT_ID,
            DatabaseInput = new CfnDatabase.DatabaseInputProperty
            {
                Name = databaseName,
                Description = "ConnectReconcile: rated Amazon Connect usage (Parquet) and the CUR export",
            },
        });

        var tables = new List<CfnTable>();
        foreach (var spec in OutputSchema.OutputTables)
        {
            // TABLE/dt=YYYY-MM-DD/ (rated tables) or TABLE/month=YYYY-MM/ (reconciliation tables), as the CLI writes them.
            var location = $"s3://{props.OutputBucket.BucketName}/{props.OutputPrefix}{spec.Name}/";
            var partition = spec.Partition;
            var start = partition.IntervalUnit == "MONTHS" ? settings.PartitionStart[..7] : settings.PartitionStart;
            tables.Add(NewTable(databaseName, spec, location, partition.Name, new Dictionary<string, object>
            {
                [$"projection.{partition.Name}.type"] = "date",
                [$"projection.{partition.Name}.format"] = partition.Format,
                [$"projection.{partition.Name}.range"] = $"{start},NOW",
                [$"projection.{partition.Name}.interval"] = "1",
                [$"projection.{partition.Name}.interval.unit"] = partition.IntervalUnit,
                ["storage.location.template"] = $"{location}{partition.Name}=${{{partition.Name}}}/",
            }));
        }

        var cur = settings.CurSource;
        tables.Add(NewTable(databaseName, OutputSchema.Cur, cur.Uri, OutputSchema.CurPartition, new Dictionary<string, object>
        {
            [$"projection.{OutputSchema.CurPartition}.type"] = "date",
            [$"projection.{OutputSchema.CurPartition}.format"] = "yyyy-MM",
            [$"projection.{OutputSchema.CurPartition}.range"] = $"{settings.PartitionStart[..7]},NOW",
            [$"projection.{OutputSchema.CurPartition}.interval"] = "1",
            [$"projection.{OutputSchema.CurPartition}.interval.unit"] = "MONTHS",
            ["storage.location.template"] = $"{cur.Uri}{OutputSchema.CurPartitionFolder}${{{OutputSchema.CurPartition}}}/",
        }));
        Tables = tables;

        ResultsBucket = new Bucket(this, "ResultsBucket", new BucketProps
        {
            Encryption = BucketEncryption.KMS,
            EncryptionKey = props.Key,
            BucketKeyEnabled = true,
            BlockPublicAccess = BlockPublicAccess.BLOCK_ALL,
            EnforceSSL = true,
            MinimumTLSVersion = 1.2,
            ObjectOwnership = ObjectOwnership.BUCKET_OWNER_ENFORCED,
            Versioned = true,
            ServerAccessLogsBucket = props.AccessLogsBucket,
            ServerAccessLogsPrefix = "athena-results/",
            RemovalPolicy = RemovalPolicy.RETAIN,
            LifecycleRules =
            [
                new S3LifecycleRule
                {
                    Id = "ExpireQueryResults",
                    Expiration = Duration.Days(settings.AthenaResultsRetentionDays),
                    NoncurrentVersionExpiration = Duration.Days(1),
                    AbortIncompleteMultipartUploadAfter = Duration.Days(1),
                },
            ],
        });

        Workgroup = new CfnWorkGroup(this, "Workgroup", new CfnWorkGroupProps
        {
            Name = settings.AthenaWorkgroup,
            Description = "ConnectReconcile reconciliation queries (results encrypted with the stack key)",
            State = "ENABLED",
            RecursiveDeleteOption = true,
            WorkGroupConfiguration = new CfnWorkGroup.WorkGroupConfigurationProperty
            {
                EnforceWorkGroupConfiguration = true,
                PublishCloudWatchMetricsEnabled = true,
                RequesterPaysEnabled = false,
                EngineVersion = new CfnWorkGroup.EngineVersionProperty { SelectedEngineVersion = "Athena engine version 3" },
                ResultConfiguration = new CfnWorkGroup.ResultConfigurationProperty
                {
                    OutputLocation = $"s3://{ResultsBucket.BucketName}/",
                    ExpectedBucketOwner = Aws.ACCOUNT_ID,
                    EncryptionConfiguration = new CfnWorkGroup.EncryptionConfigurationProperty
                    {
                        EncryptionOption = "SSE_KMS",
                        KmsKey = props.Key.KeyArn,
                    },
                },
            },
        });

        foreach (var query in NamedQueries.All)
        {
            var named = new CfnNamedQuery(this, "Query-" + query.Name, new CfnNamedQueryProps
            {
                Name = query.Name,
                Description = query.Description,
                Database = databaseName,
                WorkGroup = Workgroup.Name,
                QueryString = query.Sql,
            });
            named.AddDependency(Workgroup);
            named.AddDependency(Database);
        }

        AnalystPolicy = NewAnalystPolicy(props, databaseName);
    }

    private CfnTable NewTable(string databaseName, GlueTableSpec spec, string location, string partitionColumn,
        Dictionary<string, object> projection)
    {
        var parameters = new Dictionary<string, object>(projection)
        {
            ["classification"] = "parquet",
            ["EXTERNAL"] = "TRUE",
            ["projection.enabled"] = "true",
        };
        var table = new CfnTable(this, "Table-" + spec.Name, new CfnTableProps
        {
            CatalogId = Aws.ACCOUNT_ID,
            DatabaseName = databaseName,
            TableInput = new CfnTable.TableInputProperty
            {
                Name = spec.Name,
                Description = spec.Description,
                TableType = "EXTERNAL_TABLE",
                Parameters = parameters,
                PartitionKeys = new object[] { new CfnTable.ColumnProperty { Name = partitionColumn, Type = "string" } },
                StorageDescriptor = new CfnTable.StorageDescriptorProperty
                {
                    Location = location,
                    InputFormat = ParquetInput,
                    OutputFormat = ParquetOutput,
                    SerdeInfo = new CfnTable.SerdeInfoProperty
                    {
                        SerializationLibrary = ParquetSerde,
                        Parameters = new Dictionary<string, object> { ["serialization.format"] = "1" },
                    },
                    Columns = spec.Columns
                        .Select(c => (object)new CfnTable.ColumnProperty { Name = c.Name, Type = c.Type, Comment = c.Comment })
                        .ToArray(),
                },
            },
        });
        table.AddDependency(Database);
        return table;
    }

    private ManagedPolicy NewAnalystPolicy(QueryLayerProps props, string databaseName)
    {
        var stack = Stack.Of(this);
        string GlueArn(string resource) => $"arn:{Aws.PARTITION}:glue:{Aws.REGION}:{Aws.ACCOUNT_ID}:{resource}";
        var statements = new List<PolicyStatement>
        {
            new(new PolicyStatementProps
            {
                Sid = "UseTheWorkgroup",
                Actions =
                [
                    "athena:StartQueryExecution", "athena:StopQueryExecution", "athena:GetQueryExecution",
                    "athena:GetQueryResults", "athena:GetQueryResultsStream", "athena:ListQueryExecutions",
                    "athena:BatchGetQueryExecution", "athena:GetWorkGroup", "athena:ListNamedQueries",
                    "athena:GetNamedQuery", "athena:BatchGetNamedQuery",
                ],
                Resources = [$"arn:{Aws.PARTITION}:athena:{Aws.REGION}:{Aws.ACCOUNT_ID}:workgroup/{Workgroup.Name}"],
            }),
            new(new PolicyStatementProps
            {
                // ListWorkGroups has no resource type: AWS requires "*". Lets the console show the workgroup.
                Sid = "ConsoleListsWorkgroups",
                Actions = ["athena:ListWorkGroups"],
                Resources = ["*"],
            }),
            new(new PolicyStatementProps
            {
                Sid = "ReadTheCatalog",
                Actions =
                [
                    "glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartition", "glue:GetPartitions",
                    "glue:BatchGetPartition",
                ],
                Resources =
                [
                    GlueArn("catalog"), GlueArn($"database/{databaseName}"), GlueArn($"table/{databaseName}/*"),
                ],
            }),
            new(new PolicyStatementProps
            {
                Sid = "QueryResultsReadWrite",
                Actions = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                Resources = [ResultsBucket.ArnForObjects("*")],
            }),
            new(new PolicyStatementProps
            {
                Sid = "QueryResultsBucket",
                Actions = ["s3:ListBucket", "s3:GetBucketLocation"],
                Resources = [ResultsBucket.BucketArn],
            }),
            new(new PolicyStatementProps
            {
                Sid = "OutputRead",
                Actions = ["s3:GetObject"],
                Resources = [$"{props.OutputBucket.BucketArn}/{props.OutputPrefix}*"],
            }),
            Access.ListPrefix("OutputList", props.OutputBucket.BucketArn, props.OutputPrefix),
            Access.KeyUse("DataKeyViaS3", props.Key.KeyArn, encrypt: true, "s3"),
        };
        statements.AddRange(Access.ReadPrefix("CurPrefix", props.Settings.CurSource));
        if (props.Settings.CurKmsKeyArn is { } curKey)
        {
            statements.Add(Access.KeyUse("CurBucketKeyDecrypt", curKey, encrypt: false, "s3"));
        }

        return new ManagedPolicy(this, "AnalystPolicy", new ManagedPolicyProps
        {
            Description = $"{stack.StackName}: query the ConnectReconcile Athena workgroup, its Glue tables and their S3 data (read-only)",
            Statements = statements.ToArray(),
        });
    }
}
