namespace ConnectReconcile.Infra;

/// <summary>A saved Athena query. <c>?</c> marks an execution parameter (the console prompts for it).</summary>
public sealed record NamedQuerySpec(string Name, string Description, string Sql);

/// <summary>
/// The reconciliation views, saved as Athena named queries in the stack's workgroup and database.
/// Day parameters are 'yyyy-MM-dd' strings compared with the projected <c>dt</c> partition, month
/// parameters 'yyyy-MM' strings compared with the reconciliation tables' <c>month</c> partition, so
/// Athena reads only those partitions. Columns are the CLI's (see <see cref="OutputSchema"/>).
/// </summary>
public static class NamedQueries
{
    public static IReadOnlyList<NamedQuerySpec> All { get; } =
    [
        new("daily-variance",
            "Reconciliation per day and usage type as written by `connect-reconcile reconcile`, worst variance first. Parameters: first month, last month (yyyy-MM).",
            """
            -- Daily variance (the usage rows of the reconciliation table; adjustments such as tax and
            -- credits are the other row kinds). Parameters: first month, last month (yyyy-MM).
            SELECT month, day, usage_type, instance_id, status, beyond_tolerance,
                   expected_quantity, invoiced_quantity, quantity_variance,
                   round(expected_cost, 2) AS expected_cost,
                   round(invoiced_cost, 2) AS invoiced_cost,
                   round(cost_variance, 2) AS cost_variance,
                   causes, explanation
            FROM reconciliation
            WHERE month BETWEEN ? AND ?
              AND row_kind = 'usage'
            ORDER BY abs(cost_variance) DESC, day, usage_type
            """),
        new("expected-vs-cur",
            "Independent check: expected daily usage against the CUR 2.0 export, per day and usage type. Parameters: first day, last day, first day, last day (yyyy-MM-dd).",
            """
            -- Expected (daily_usage) against invoiced (CUR 2.0), per day and usage type.
            -- Parameters: first day, last day (for daily_usage), then first day, last day again (for the CUR).
            -- The CUR side covers whole billing months: days invoiced but never rated show with NULL expected.
            WITH expected AS (
                SELECT dt AS day, usage_type,
                       sum(quantity) AS expected_quantity, sum(cost) AS expected_cost
                FROM daily_usage
                WHERE dt BETWEEN ? AND ?
                GROUP BY dt, usage_type
            ),
            invoiced AS (
                SELECT date_format(line_item_usage_start_date, '%Y-%m-%d') AS day,
                       line_item_usage_type AS usage_type,
                       sum(line_item_usage_amount) AS invoiced_quantity,
                       sum(line_item_unblended_cost) AS invoiced_cost
                FROM cur
                WHERE billing_period BETWEEN substr(?, 1, 7) AND substr(?, 1, 7)
                  AND (line_item_product_code = 'AmazonConnect' OR line_item_product_code LIKE 'ContactCenterTelecomm%')
                  AND line_item_line_item_type = 'Usage'
                GROUP BY 1, 2
            )
            SELECT coalesce(e.day, i.day) AS day,
                   coalesce(e.usage_type, i.usage_type) AS usage_type,
                   e.expected_quantity, i.invoiced_quantity,
                   round(e.expected_cost, 4) AS expected_cost,
                   round(i.invoiced_cost, 4) AS invoiced_cost,
                   round(coalesce(i.invoiced_cost, 0) - coalesce(CAST(e.expected_cost AS double), 0), 4) AS variance_cost
            FROM expected e
            FULL OUTER JOIN invoiced i ON e.day = i.day AND e.usage_type = i.usage_type
            ORDER BY 1, 2
            """),
        new("cost-by-queue",
            "Voice cost per queue and segment kind (each charge allocated to the segments its metered time covers; minimum top-ups to `minimum`; a call without a telephony leg under `(no leg)`). Parameters: first day, last day, first day, last day (yyyy-MM-dd).",
            """
            -- Cost by queue: charges carry no queue; segments do, with the leg's charges allocated by
            -- seconds (voice only; chat, task and email charges are in charges). A call without a
            -- telephony leg (in-app, outbound never answered) has no segments: its charges (leg_index
            -- NULL) go to its contacts row's queue, so the costs tie to contacts.total_cost.
            -- Parameters: first day, last day (segments), then first day, last day again (charges).
            WITH allocated AS (
                SELECT chain_id, queue, segment_kind, seconds, cost
                FROM segments
                WHERE dt BETWEEN ? AND ?
                UNION ALL
                SELECT h.chain_id, k.queue, '(no leg)' AS segment_kind,
                       CASE WHEN h.charge_kind = 'service' THEN h.billed_seconds ELSE 0 END AS seconds, h.cost
                FROM charges h
                JOIN contacts k ON k.chain_id = h.chain_id AND k.dt = h.dt
                WHERE h.dt BETWEEN ? AND ?
                  AND h.leg_index IS NULL
                  AND h.unit = 'minute'
            )
            SELECT coalesce(queue, '(no queue)') AS queue, segment_kind,
                   count(DISTINCT chain_id) AS calls,
                   round(sum(seconds) / 60.0, 2) AS minutes,
                   round(sum(cost), 2) AS cost
            FROM allocated
            GROUP BY 1, 2
            ORDER BY sum(cost) DESC
            """),
        new("cost-by-ivr",
            "Cost of IVR time (segments of kind ivr) per day and instance. Parameters: first day, last day (yyyy-MM-dd).",
            """
            -- Cost by IVR: the ivr segments of customer legs. Parameters: first day, last day (yyyy-MM-dd).
            SELECT dt AS day, instance_id,
                   count(DISTINCT chain_id) AS calls,
                   round(sum(seconds) / 60.0, 2) AS ivr_minutes,
                   round(avg(seconds), 1) AS avg_ivr_seconds,
                   round(sum(cost), 2) AS ivr_cost
            FROM segments
            WHERE dt BETWEEN ? AND ?
              AND segment_kind = 'ivr'
            GROUP BY 1, 2
            ORDER BY 1, 2
            """),
        new("cost-by-agent",
            "Voice cost per agent (each charge allocated to the segments its metered time covers; minimum top-ups to `minimum`; a call without a telephony leg to its first agent). Parameters: first day, last day, first day, last day (yyyy-MM-dd).",
            """
            -- Cost by agent: from segments (charges carry no agent), voice only. A call without a
            -- telephony leg (in-app, outbound never answered) has no segments: its charges (leg_index
            -- NULL) go to its contacts row's agent, so the costs tie to contacts.total_cost.
            -- Parameters: first day, last day (segments), then first day, last day again (charges).
            WITH allocated AS (
                SELECT chain_id, agent, seconds, cost
                FROM segments
                WHERE dt BETWEEN ? AND ?
                UNION ALL
                SELECT h.chain_id, k.agent,
                       CASE WHEN h.charge_kind = 'service' THEN h.billed_seconds ELSE 0 END AS seconds, h.cost
                FROM charges h
                JOIN contacts k ON k.chain_id = h.chain_id AND k.dt = h.dt
                WHERE h.dt BETWEEN ? AND ?
                  AND h.leg_index IS NULL
                  AND h.unit = 'minute'
            )
            SELECT coalesce(agent, '(no agent)') AS agent,
                   count(DISTINCT chain_id) AS calls,
                   round(sum(seconds) / 60.0, 2) AS minutes,
                   round(sum(cost), 2) AS cost
            FROM allocated
            GROUP BY 1
            ORDER BY sum(cost) DESC
            """),
        new("quarantine-summary",
            "Records that could not be rated, by reason. Parameters: first day, last day (yyyy-MM-dd).",
            """
            -- Quarantined input by reason. Parameters: first day, last day (yyyy-MM-dd).
            SELECT dt AS day, reason, count(*) AS records, min(source) AS example_source
            FROM quarantine
            WHERE dt BETWEEN ? AND ?
            GROUP BY 1, 2
            ORDER BY 1, 3 DESC
            """),
    ];
}
