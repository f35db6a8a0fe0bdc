using DuckDB.NET.Data;

namespace ConnectReconcile.Tests;

/// <summary>
/// A query's rows as read by DuckDB, the independent reader the outputs are checked with (linked into the
/// test projects that read Parquet back); <paramref name="parameters"/> fill the query's <c>?</c> in order.
/// </summary>
internal static class DuckDbRows
{
    public static List<object?[]> Query(DuckDBConnection db, string sql, params object[] parameters)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        foreach (var p in parameters)
        {
            cmd.Parameters.Add(new DuckDBParameter(p));
        }

        using var r = cmd.ExecuteReader();
        var rows = new List<object?[]>();
        while (r.Read())
        {
            var row = new object?[r.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = r.IsDBNull(i) ? null : r.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }
}
