using ConnectReconcile.Infra;

// `npx cdk synth|deploy` (cdk.json at the repository root) runs this. Context values (-c key=value)
// configure the stack; see InfraSettings.FromContext and infra/README.md.
var app = InfraApp.NewApp();
InfraApp.AddStack(app);
app.Synth();
