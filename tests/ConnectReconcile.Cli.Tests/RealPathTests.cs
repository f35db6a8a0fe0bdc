namespace ConnectReconcile.Cli.Tests;

public sealed class RealPathTests
{
    [Fact]
    public void Links_along_a_path_are_resolved_and_the_part_not_yet_created_is_kept_as_given()
    {
        using var dir = new TempDir();
        var root = RealPath.Of(dir.Path); // the temp folder may itself be reached through a link
        Directory.CreateDirectory(dir.Sub("real"));
        File.CreateSymbolicLink(dir.Sub("b"), "real"); // relative, to the link's folder
        File.CreateSymbolicLink(dir.Sub("a"), dir.Sub("b")); // a link to a link

        Assert.Equal(Path.Combine(root, "real", "x", "y"), RealPath.Of(Path.Combine(dir.Sub("a"), "x", "y")));
        Assert.Equal(Path.Combine(root, "real"), RealPath.Of(dir.Sub("a") + Path.DirectorySeparatorChar));
        Assert.Equal(Path.Combine(root, "real", "z"), RealPath.Of(Path.Combine(dir.Sub("real"), ".", "z")));
    }

    [Fact]
    public void Dot_dot_in_a_link_target_leaves_where_the_link_before_it_led()
    {
        using var dir = new TempDir();
        var root = RealPath.Of(dir.Path);
        Directory.CreateDirectory(dir.Sub("elsewhere/deep"));
        Directory.CreateDirectory(dir.Sub("elsewhere/other"));
        Directory.CreateDirectory(dir.Sub("here"));
        File.CreateSymbolicLink(dir.Sub("here/sub"), dir.Sub("elsewhere/deep"));
        File.CreateSymbolicLink(dir.Sub("l"), "here/sub/../other"); // as the kernel reads it: elsewhere/other, not here/other

        Assert.Equal(Path.Combine(root, "elsewhere", "other", "out"), RealPath.Of(Path.Combine(dir.Sub("l"), "out")));
    }

    [Fact]
    public void A_cycle_of_links_ends()
    {
        using var dir = new TempDir();
        File.CreateSymbolicLink(dir.Sub("a"), "b");
        File.CreateSymbolicLink(dir.Sub("b"), "a");

        Assert.EndsWith("out", RealPath.Of(Path.Combine(dir.Sub("a"), "out")), StringComparison.Ordinal);
    }
}
