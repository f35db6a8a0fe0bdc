using System.Text.Json;

namespace ConnectReconcile.Generator.Internals;

/// <summary>
/// Contact attributes as flows set them: IVR path, auth state, CRM ids, a JSON blob stuffed in a
/// string, case-sensitive twins (<c>GreetingPlayed</c> / <c>greetingPlayed</c>), Japanese text on the
/// Tokyo instance. Derived from <see cref="SimRecord.AttrSeed"/> so a re-written copy is identical;
/// an updated copy (<see cref="SimRecord.Updated"/>) changes and adds keys, never billing fields.
/// </summary>
internal static class Attrs
{
    private static readonly JsonEncodedText Attributes = JsonEncodedText.Encode("Attributes");
    private static readonly JsonEncodedText KAccountNumber = JsonEncodedText.Encode("AccountNumber");
    private static readonly JsonEncodedText KAuthStatus = JsonEncodedText.Encode("AuthStatus");
    private static readonly JsonEncodedText KCrmCaseId = JsonEncodedText.Encode("CRMCaseId");
    private static readonly JsonEncodedText KCallReason = JsonEncodedText.Encode("CallReason");
    private static readonly JsonEncodedText KCustomerJourney = JsonEncodedText.Encode("CustomerJourney");
    private static readonly JsonEncodedText KCustomerTier = JsonEncodedText.Encode("CustomerTier");
    private static readonly JsonEncodedText KDispositionCode = JsonEncodedText.Encode("DispositionCode");
    private static readonly JsonEncodedText KFlowVersion = JsonEncodedText.Encode("FlowVersion");
    private static readonly JsonEncodedText KGreetingPlayed = JsonEncodedText.Encode("GreetingPlayed");
    private static readonly JsonEncodedText KIvrPath = JsonEncodedText.Encode("IVRPath");
    private static readonly JsonEncodedText KLambdaRequestId = JsonEncodedText.Encode("LambdaRequestId");
    private static readonly JsonEncodedText KLanguage = JsonEncodedText.Encode("Language");
    private static readonly JsonEncodedText KLastIntent = JsonEncodedText.Encode("LastIntent");
    private static readonly JsonEncodedText KLexSessionId = JsonEncodedText.Encode("LexSessionId");
    private static readonly JsonEncodedText KMarketingOptIn = JsonEncodedText.Encode("MarketingOptIn");
    private static readonly JsonEncodedText KPathCode = JsonEncodedText.Encode("PathCode");
    private static readonly JsonEncodedText KSurveyFlag = JsonEncodedText.Encode("SurveyFlag");
    private static readonly JsonEncodedText KTodayContact = JsonEncodedText.Encode("TodayContact");
    private static readonly JsonEncodedText KTypeFlag = JsonEncodedText.Encode("Type_Flag");
    private static readonly JsonEncodedText KUpdatedBy = JsonEncodedText.Encode("UpdatedBy");
    private static readonly JsonEncodedText KWrapUpNotes = JsonEncodedText.Encode("WrapUpNotes");
    private static readonly JsonEncodedText KEwtCheck = JsonEncodedText.Encode("ewtcheck");
    private static readonly JsonEncodedText KGreetingPlayedLower = JsonEncodedText.Encode("greetingPlayed");
    private static readonly JsonEncodedText KChatSessionId = JsonEncodedText.Encode("ChatSessionId");
    private static readonly JsonEncodedText KChatEntryPoint = JsonEncodedText.Encode("ChatEntryPoint");

    private static readonly JsonEncodedText[] AuthStatus = Enc("VERIFIED", "NOT_VERIFIED", "PARTIAL", "SKIPPED");
    private static readonly JsonEncodedText[] CallReason = Enc("billing", "technical-support", "sales", "cancel-service", "address-change", "order-status", "password-reset", "payment-arrangement", "other");
    private static readonly JsonEncodedText[] Tier = Enc("gold", "silver", "bronze", "standard", "standard", "standard");
    private static readonly JsonEncodedText[] LangUs = Enc("en-US", "en-US", "en-US", "es-US");
    private static readonly JsonEncodedText[] LangJp = Enc("ja-JP", "ja-JP", "ja-JP", "en-US");
    private static readonly JsonEncodedText[] YesNo = Enc("Y", "N");
    private static readonly JsonEncodedText[] TrueFalse = Enc("true", "false");
    private static readonly JsonEncodedText[] Disposition = Enc("RESOLVED", "FOLLOW_UP", "ESCALATED", "NO_ACTION", "CALLBACK_SCHEDULED");
    private static readonly JsonEncodedText[] UpdatedBy = Enc("UpdateContactAttributes", "crm-sync-lambda", "qa-review");
    private static readonly JsonEncodedText[] IntentUs = Enc("CheckBalance", "MakePayment", "ReportOutage", "UpdateAddress", "TalkToAgent", "OrderStatus", "CancelOrder");
    private static readonly JsonEncodedText[] IntentJp = Enc("料金に関するお問い合わせ", "住所変更", "故障のご連絡", "解約のご相談", "オペレーター希望", "注文状況の確認");
    private static readonly JsonEncodedText[] NotesUs = Enc(
        "Customer asked about the last invoice; explained the proration and sent a copy by email.",
        "Reset the password after verifying identity; customer confirmed access on the call.",
        "Outage in the customer's area; ticket linked, customer will receive SMS updates.",
        "Payment arrangement set for the 15th; customer agreed to autopay enrolment.");
    private static readonly JsonEncodedText[] NotesJp = Enc(
        "請求内容についてご説明し、明細をメールで送付しました。",
        "本人確認の上、パスワードを再設定しました。",
        "故障受付済み。訪問日程は後日SMSでご案内します。",
        "解約理由をヒアリングし、割引プランをご案内しました。");
    private static readonly string[] Steps = ["greeting", "language", "auth", "menu-1", "menu-2", "menu-3", "billing", "support", "sales", "balance", "payment", "survey-optin", "ewt", "callback-offer"];
    private static readonly string[] PathSegments = ["Main", "Auth", "Menu", "Billing", "Support", "Sales", "Payments", "Outage", "Queue", "Lex", "Transfer"];

    public static void Write(Utf8JsonWriter w, SimRecord r, bool japan)
    {
        var m = new Mixer(r.AttrSeed);
        Span<char> buf = stackalloc char[256];
        w.WriteStartObject(Attributes);
        if (r.Chat)
        {
            w.WriteString(KChatEntryPoint, (m.Next() & 1) == 0 ? "web-widget" : "mobile-app");
            w.WriteString(KChatSessionId, Uuid(ref m, buf));
            w.WriteString(KCustomerTier, Tier[m.Next(Tier.Length)]);
            w.WriteString(KLanguage, (japan ? LangJp : LangUs)[m.Next(4)]);
            w.WriteString(KLastIntent, (japan ? IntentJp : IntentUs)[m.Next(6)]);
            w.WriteEndObject();
            return;
        }

        if (m.Chance(70))
        {
            buf[0] = '*';
            buf[1] = '*';
            buf[2] = '*';
            buf[3] = '*';
            Digits(ref m, buf.Slice(4, 4));
            w.WriteString(KAccountNumber, buf[..8]);
        }

        w.WriteString(KAuthStatus, AuthStatus[m.Next(AuthStatus.Length)]);
        if (r.Agent >= 0)
        {
            var n = Append(buf, 0, "CASE-");
            Digits(ref m, buf.Slice(n, 8));
            if (r.Updated)
            {
                buf[n] = '9';   // the CRM re-keyed the case on update
            }

            w.WriteString(KCrmCaseId, buf[..(n + 8)]);
        }

        w.WriteString(KCallReason, CallReason[m.Next(CallReason.Length)]);
        if (m.Chance(50))
        {
            w.WriteString(KCustomerJourney, Journey(ref m, buf));
        }

        w.WriteString(KCustomerTier, Tier[m.Next(Tier.Length)]);
        var notes = m.Next(4);
        var disposition = m.Next(Disposition.Length);
        var updater = m.Next(UpdatedBy.Length);
        if (r.Updated)
        {
            w.WriteString(KDispositionCode, Disposition[disposition]);
        }

        var fv = Append(buf, 0, "v3.");
        fv = AppendInt(buf, fv, 10 + m.Next(8));
        buf[fv++] = '.';
        fv = AppendInt(buf, fv, m.Next(30));
        w.WriteString(KFlowVersion, buf[..fv]);
        w.WriteString(KGreetingPlayed, TrueFalse[0]);
        w.WriteString(KIvrPath, Path(ref m, buf));
        if (m.Chance(50))
        {
            w.WriteString(KLambdaRequestId, Uuid(ref m, buf));
        }

        w.WriteString(KLanguage, (japan ? LangJp : LangUs)[m.Next(4)]);
        w.WriteString(KLastIntent, japan ? IntentJp[m.Next(IntentJp.Length)] : IntentUs[m.Next(IntentUs.Length)]);
        if (m.Chance(40))
        {
            w.WriteString(KLexSessionId, Uuid(ref m, buf));
        }

        if (m.Chance(60))
        {
            w.WriteString(KMarketingOptIn, TrueFalse[m.Next(2)]);
        }

        var pc = AppendInt(buf, 0, 1_000_000 + m.Next(9_000_000));
        buf[pc++] = '_';
        pc = Append(buf, pc, "00");
        pc = AppendInt(buf, pc, 1 + m.Next(9));
        buf[pc++] = '_';
        pc = Append(buf, pc, "0000");
        pc = AppendInt(buf, pc, 1 + m.Next(9));
        w.WriteString(KPathCode, buf[..pc]);
        w.WriteString(KSurveyFlag, YesNo[m.Next(2)]);
        w.WriteString(KTodayContact, YesNo[m.Next(2)]);
        w.WriteString(KTypeFlag, ""u8);
        if (r.Updated)
        {
            w.WriteString(KUpdatedBy, UpdatedBy[updater]);
            w.WriteString(KWrapUpNotes, (japan ? NotesJp : NotesUs)[notes]);
        }

        w.WriteString(KEwtCheck, YesNo[m.Next(2)]);
        if (m.Chance(30))
        {
            w.WriteString(KGreetingPlayedLower, TrueFalse[0]);
        }

        w.WriteEndObject();
    }

    private static ReadOnlySpan<char> Journey(ref Mixer m, Span<char> buf)
    {
        // {"entry":"main","steps":["greeting","auth","menu-2"],"retries":1}
        var n = Append(buf, 0, "{\"entry\":\"");
        n = Append(buf, n, (m.Next() & 1) == 0 ? "main" : "after-hours");
        n = Append(buf, n, "\",\"steps\":[");
        var count = 2 + m.Next(5);
        for (var i = 0; i < count; i++)
        {
            if (i > 0)
            {
                buf[n++] = ',';
            }

            buf[n++] = '"';
            n = Append(buf, n, Steps[m.Next(Steps.Length)]);
            buf[n++] = '"';
        }

        n = Append(buf, n, "],\"retries\":");
        n = AppendInt(buf, n, m.Next(3));
        buf[n++] = '}';
        return buf[..n];
    }

    private static ReadOnlySpan<char> Path(ref Mixer m, Span<char> buf)
    {
        var n = 0;
        var count = 3 + m.Next(5);
        for (var i = 0; i < count; i++)
        {
            if (i > 0)
            {
                buf[n++] = '>';
            }

            n = Append(buf, n, PathSegments[m.Next(PathSegments.Length)]);
        }

        return buf[..n];
    }

    private static ReadOnlySpan<char> Uuid(ref Mixer m, Span<char> buf)
    {
        Span<byte> b = stackalloc byte[16];
        BitConverter.TryWriteBytes(b, m.Next());
        BitConverter.TryWriteBytes(b[8..], m.Next());
        b[7] = (byte)((b[7] & 0x0F) | 0x40);
        b[8] = (byte)((b[8] & 0x3F) | 0x80);
        new Guid(b).TryFormat(buf, out var written, "D");
        return buf[..written];
    }

    private static void Digits(ref Mixer m, Span<char> dest)
    {
        for (var i = 0; i < dest.Length; i++)
        {
            dest[i] = (char)('0' + m.Next(10));
        }
    }

    private static int Append(Span<char> buf, int at, string s)
    {
        s.AsSpan().CopyTo(buf[at..]);
        return at + s.Length;
    }

    private static int AppendInt(Span<char> buf, int at, int v)
    {
        v.TryFormat(buf[at..], out var written, default, System.Globalization.CultureInfo.InvariantCulture);
        return at + written;
    }

    private static JsonEncodedText[] Enc(params string[] values) => [.. values.Select(Instance.Encode)];
}
