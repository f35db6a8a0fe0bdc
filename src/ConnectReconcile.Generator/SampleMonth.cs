namespace ConnectReconcile.Generator;

/// <summary>Placeholder until the generator lands.</summary>
public static class SampleMonth
{
}
