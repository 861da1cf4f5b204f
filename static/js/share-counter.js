/*
 * Chorus share-text rules in the browser: live length counters for share texts.
 *
 * A line-for-line mirror of content/text_rules.py (read its docstring for the rules and why
 * they are what they are). Both must give the same numbers for every string;
 * tests/content/test_counter_js.py checks that in Chromium. Change one, change the other.
 *
 * No dependencies, no build step. Exposes window.ChorusText and binds every
 *   <textarea data-counter-network="x|linkedin" data-link-length="34" data-disclosure="#employee">
 * to a counter ("243 / 280", class "over-limit" when over, aria-live="polite"): the element
 * named by data-counter-target="#id", or a <span class="share-counter"> inserted after it.
 * data-link-url (the real link) may replace data-link-length (a link of that many characters).
 */
(function () {
  "use strict";

  const X_MAX_WEIGHTED = 280;
  const X_URL_WEIGHT = 23;
  const LINKEDIN_MAX_CHARS = 3000;
  const MAX_URL_LENGTH = 4096;
  const MAX_TCO_SLUG = 40;

  const SPACE_CLASS = "\\t\\n\\u000b\\u000c\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
  const SPACE_RUN = new RegExp("[" + SPACE_CLASS + "]+", "gu");
  const SPACE_EDGES = new RegExp("^[" + SPACE_CLASS + "]+|[" + SPACE_CLASS + "]+$", "gu");
  const INVALID_CLASS = "\\ufffe\\ufeff\\uffff";
  const INVALID_RUN = new RegExp("[" + INVALID_CLASS + "]+", "gu");
  const WORD_CHAR = /^[\p{L}\p{M}\p{N}_]$/u;

  function codePointLength(text) {
    let n = 0;
    for (const _ of text) n += 1; // eslint-disable-line no-unused-vars
    return n;
  }

  // --- X weighted length ----------------------------------------------------------------

  function xWeightedLength(text) {
    const s = countForm(text);
    const urlEnds = new Map(urlSpans(s));
    const emoji = emojiRegex();
    let total = 0;
    let i = 0;
    while (i < s.length) {
      const end = urlEnds.get(i);
      if (end !== undefined) {
        total += X_URL_WEIGHT;
        i = end;
        continue;
      }
      emoji.lastIndex = i;
      const match = emoji.exec(s);
      if (match && codePointLength(match[0]) > 1) {
        total += 2;
        i += match[0].length;
        continue;
      }
      const cp = s.codePointAt(i);
      total += codePointWeight(cp);
      i += cp > 0xffff ? 2 : 1;
    }
    return total;
  }

  function linkedinLength(text) {
    return countForm(text).length; // UTF-16 code units, as LinkedIn's Java backend counts
  }

  function codePointWeight(cp) {
    if (cp <= 0x10ff || (cp >= 0x2000 && cp <= 0x200d) || (cp >= 0x2010 && cp <= 0x201f) ||
        (cp >= 0x2032 && cp <= 0x2037)) {
      return 1;
    }
    return 2;
  }

  function countForm(text) {
    return String(text).normalize("NFC").replace(/\r\n?/g, "\n");
  }

  // --- composing and measuring ----------------------------------------------------------

  function composeShareText(text, options) {
    const [body, link] = composeParts(text, options);
    if (link === null) return body;
    return body ? body + "\n" + link : link;
  }

  function composeParts(text, options) {
    const opts = options || {};
    let body = clean(text);
    const notice = clean(opts.disclosure || "");
    if (notice && !containsPhrase(body.toLowerCase(), notice.toLowerCase())) {
      body = body ? body + " " + notice : notice;
    }
    const link = clean(opts.linkUrl || "");
    if (!link || body.includes(link)) return [body, null];
    return [body, link];
  }

  function clean(text) {
    return countForm(text).replace(INVALID_RUN, "").replace(SPACE_EDGES, "");
  }

  function measure(network, text, options) {
    const [body, link] = composeParts(text, options);
    let length;
    let limit;
    if (network === "x") {
      limit = X_MAX_WEIGHTED;
      length = xWeightedLength(body);
      if (link !== null) length += (body ? 1 : 0) + X_URL_WEIGHT;
    } else if (network === "linkedin") {
      limit = LINKEDIN_MAX_CHARS;
      length = linkedinLength(body && link ? body + "\n" + link : body || link || "");
    } else {
      throw new Error("Unknown network " + JSON.stringify(network));
    }
    return { length, limit, remaining: limit - length, ok: length > 0 && length <= limit };
  }

  function containsPhrase(haystack, phrase) {
    haystack = haystack.replace(SPACE_RUN, " ");
    phrase = phrase.replace(SPACE_RUN, " ").replace(/^ +| +$/g, "");
    if (!phrase) return false;
    const firstIsWord = isWordChar(String.fromCodePoint(phrase.codePointAt(0)));
    const lastIsWord = isWordChar(lastCodePoint(phrase));
    let start = haystack.indexOf(phrase);
    while (start !== -1) {
      const end = start + phrase.length;
      const gluedBefore = start > 0 && firstIsWord && isWordChar(lastCodePoint(haystack.slice(0, start)));
      const gluedAfter = end < haystack.length && lastIsWord &&
        isWordChar(String.fromCodePoint(haystack.codePointAt(end)));
      if (!gluedBefore && !gluedAfter) return true;
      start = haystack.indexOf(phrase, start + 1);
    }
    return false;
  }

  function lastCodePoint(text) {
    const low = text.charCodeAt(text.length - 1);
    const high = text.charCodeAt(text.length - 2);
    const pair = low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff;
    return text.slice(pair ? -2 : -1);
  }

  function isWordChar(ch) {
    return WORD_CHAR.test(ch);
  }

  // --- emoji sequences ------------------------------------------------------------------

  let emojiCache = null;

  function emojiRegex() {
    if (emojiCache === null) {
      const hex = (cp) => "\\u{" + cp.toString(16) + "}";
      const pictographic = "[" + EXTENDED_PICTOGRAPHIC.map(([a, b]) => hex(a) + "-" + hex(b)).join("") + "]";
      const element = pictographic + "(?:\\ufe0f|[\\u{1f3fb}-\\u{1f3ff}]|[\\u{e0020}-\\u{e007e}]{1,6}\\u{e007f})?";
      emojiCache = new RegExp(
        "[\\u{1f1e6}-\\u{1f1ff}]{2}|[#*0-9]\\ufe0f?\\u20e3|" + element + "(?:\\u200d" + element + "){0,3}",
        "uy"
      );
    }
    return emojiCache;
  }

  // --- URLs (twitter-text's extractUrlsWithIndices, ported) -----------------------------

  let grammarCache = null;

  function alternation(words) {
    const groups = new Map();
    for (const word of words) {
      const first = String.fromCodePoint(word.codePointAt(0));
      if (!groups.has(first)) groups.set(first, []);
      groups.get(first).push(word.slice(first.length));
    }
    return "(?:" + Array.from(groups, ([first, rests]) => first + "(?:" + rests.join("|") + ")").join("|") + ")";
  }

  function urlGrammar() {
    if (grammarCache !== null) return grammarCache;
    const punct = "!'#%&()*+,\\-./:;<=>?@\\[\\]^_{|}~$\\\\";
    const spaces = "\\t-\\r \\x85\\xa0\\u1680\\u180e\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
    const directional = "\\u202a-\\u202e\\u061c\\u200e\\u200f\\u2066-\\u2069";
    const latin = "\\xc0-\\xd6\\xd8-\\xf6\\xf8-\\xff\\u0100-\\u024f\\u0253\\u0254\\u0256\\u0257\\u0259\\u025b\\u0263" +
      "\\u0268\\u026f\\u0272\\u0289\\u028b\\u02bb\\u0300-\\u036f\\u1e00-\\u1eff";
    const cyrillic = "\\u0400-\\u04ff";
    const dc = "[^" + punct + spaces + INVALID_CLASS + directional + "]";
    const subdomain = "(?:(?:" + dc + "(?:[_\\-]|" + dc + "){0,61})?" + dc + "\\.)";
    const domainName = "(?:(?:" + dc + "(?:-|" + dc + "){0,61})?" + dc + "\\.)";
    const tldEnd = "(?![0-9a-z@+\\-])";
    const gtld = "(?:" + alternation(GENERIC_TLDS) + tldEnd + ")";
    const cctld = "(?:" + alternation(COUNTRY_TLDS) + tldEnd + ")";
    const punycode = "(?:xn--[\\-0-9a-z]+)";
    const domain = "(?:" + subdomain + "{0,125}" + domainName + "(?:" + gtld + "|" + cctld + "|" + punycode + "))";
    const pathChar = "[a-z" + cyrillic + "0-9!*';:=+,.$/%#\\[\\]\\-\\u2013_~@|&" + latin + "]";
    const parens = "\\((?:" + pathChar + "+|(?:" + pathChar + "*\\(" + pathChar + "+\\)" + pathChar + "*))\\)";
    const pathEnd = "(?:[+\\-a-z" + cyrillic + "0-9=_#/" + latin + "]|(?:" + parens + "))";
    const path = "(?:(?:" + pathChar + "*(?:" + parens + pathChar + "*)*" + pathEnd + ")|(?:@" + pathChar + "+/))";
    const queryChar = "[a-z0-9!?*'@();:&=+$/%#\\[\\]\\-_.,~|]";
    const queryEnd = "[a-z0-9\\-_&=#/]";
    const preceding = "(?:[^a-z0-9@\\uff20$#\\uff03" + INVALID_CLASS + "]|[" + directional + "]|^)";
    const asciiDomain = "(?:(?:[\\-a-z0-9" + latin + "]+)\\.)+(?:" + gtld + "|" + cctld + "|" + punycode + ")";
    grammarCache = {
      // groups: 1 preceding char, 2 url, 3 protocol, 4 domain, 5 path
      url: new RegExp(
        "(" + preceding + ")((https?://)?(" + domain + ")(?::[0-9]+)?(/" + path + "*)?(?:\\?" + queryChar + "*" +
          queryEnd + ")?)",
        "gu"
      ),
      asciiDomains: new RegExp(asciiDomain, "gu"),
      asciiDomain: new RegExp(asciiDomain, "u"),
      shortCcDomain: new RegExp("^(?:" + domainName + cctld + ")$", "u"),
      specialShortDomain: new RegExp("^(?:" + domainName + "(?:(?:co|tv)(?![0-9a-z@])))$", "u"),
      tco: new RegExp("^https?://t\\.co/([a-z0-9]+)(?:\\?" + queryChar + "*" + queryEnd + ")?", "u"),
    };
    return grammarCache;
  }

  function urlSpans(text) {
    if (!text.includes(".")) return [];
    const grammar = urlGrammar();
    const lowered = text.replace(/[A-Z]+/g, (s) => s.toLowerCase());
    const spans = [];
    const re = grammar.url;
    re.lastIndex = 0;
    let match;
    while ((match = re.exec(lowered)) !== null) {
      const [, before, url, protocol, domain, path] = match;
      let end = match.index + match[0].length;
      const start = end - url.length;
      if (!plausibleDomain(domain, grammar) ||
          codePointLength(protocol || "https://") + codePointLength(url) > MAX_URL_LENGTH) {
        continue;
      }
      if (protocol) {
        const tco = grammar.tco.exec(url);
        if (tco) {
          if (codePointLength(tco[1]) > MAX_TCO_SLUG) continue;
          end = start + tco[0].length;
        }
        spans.push([start, end]);
        continue;
      }
      if (before && "-_./".includes(before)) continue;
      let last = null;
      const ascii = grammar.asciiDomains;
      ascii.lastIndex = 0;
      let asciiMatch;
      while ((asciiMatch = ascii.exec(domain)) !== null) {
        const asciiDomain = asciiMatch[0];
        last = [start + asciiMatch.index, start + asciiMatch.index + asciiDomain.length];
        if (path || grammar.specialShortDomain.test(asciiDomain) || !grammar.shortCcDomain.test(asciiDomain)) {
          spans.push(last);
        }
      }
      if (last !== null && path) spans[spans.length - 1] = [last[0], end];
    }
    return spans;
  }

  function plausibleDomain(domain, grammar) {
    if (domain.startsWith("xn--") && !grammar.asciiDomain.test(domain)) return false;
    return domain.split(".").every((label) => {
      const n = codePointLength(label);
      return n >= 1 && n <= 63;
    });
  }

  // --- live counters --------------------------------------------------------------------

  const bound = new WeakSet();

  function placeholderLink(length) {
    // A link X detects as a URL and LinkedIn counts as `length` characters (at least 12).
    if (!(length > 0)) return null;
    const base = "https://a.co/";
    return length < base.length ? "https://a.co" : base + "x".repeat(length - base.length);
  }

  function bindTextarea(textarea) {
    const network = textarea.dataset.counterNetwork;
    if (bound.has(textarea) || (network !== "x" && network !== "linkedin")) return;
    bound.add(textarea);
    const target = textarea.dataset.counterTarget;
    let counter = target ? document.querySelector(target) : null;
    if (!counter) {
      const next = textarea.nextElementSibling;
      // Django admin clones inline rows with their DOM: reuse the clone's counter.
      if (next && next.classList.contains("share-counter")) {
        counter = next;
      } else {
        counter = document.createElement("span");
        counter.className = "share-counter";
        textarea.insertAdjacentElement("afterend", counter);
      }
    }
    counter.setAttribute("aria-live", "polite");
    const update = () => {
      const options = {
        linkUrl: textarea.dataset.linkUrl || placeholderLink(parseInt(textarea.dataset.linkLength, 10)),
        disclosure: textarea.dataset.disclosure || "",
      };
      const result = measure(network, textarea.value, options);
      counter.textContent = result.length + " / " + result.limit;
      counter.classList.toggle("over-limit", result.length > result.limit);
      counter.dataset.remaining = String(result.remaining);
    };
    textarea.addEventListener("input", update);
    textarea.addEventListener("change", update);
    update();
  }

  function bind(root) {
    const scope = root || document;
    if (scope.matches && scope.matches("textarea[data-counter-network]")) bindTextarea(scope);
    scope.querySelectorAll("textarea[data-counter-network]").forEach(bindTextarea);
  }

  // --- data: identical copies of the tables at the end of networks/x_text.py -------

  const EXTENDED_PICTOGRAPHIC = [
    [0x00A9, 0x00A9], [0x00AE, 0x00AE], [0x203C, 0x203C], [0x2049, 0x2049], [0x2122, 0x2122], [0x2139, 0x2139],
    [0x2194, 0x2199], [0x21A9, 0x21AA], [0x231A, 0x231B], [0x2328, 0x2328], [0x23CF, 0x23CF], [0x23E9, 0x23F3],
    [0x23F8, 0x23FA], [0x24C2, 0x24C2], [0x25AA, 0x25AB], [0x25B6, 0x25B6], [0x25C0, 0x25C0], [0x25FB, 0x25FE],
    [0x2600, 0x2604], [0x260E, 0x260E], [0x2611, 0x2611], [0x2614, 0x2615], [0x2618, 0x2618], [0x261D, 0x261D],
    [0x2620, 0x2620], [0x2622, 0x2623], [0x2626, 0x2626], [0x262A, 0x262A], [0x262E, 0x262F], [0x2638, 0x263A],
    [0x2640, 0x2640], [0x2642, 0x2642], [0x2648, 0x2653], [0x265F, 0x2660], [0x2663, 0x2663], [0x2665, 0x2666],
    [0x2668, 0x2668], [0x267B, 0x267B], [0x267E, 0x267F], [0x2692, 0x2697], [0x2699, 0x2699], [0x269B, 0x269C],
    [0x26A0, 0x26A1], [0x26A7, 0x26A7], [0x26AA, 0x26AB], [0x26B0, 0x26B1], [0x26BD, 0x26BE], [0x26C4, 0x26C5],
    [0x26C8, 0x26C8], [0x26CE, 0x26CF], [0x26D1, 0x26D1], [0x26D3, 0x26D4], [0x26E9, 0x26EA], [0x26F0, 0x26F5],
    [0x26F7, 0x26FA], [0x26FD, 0x26FD], [0x2702, 0x2702], [0x2705, 0x2705], [0x2708, 0x270D], [0x270F, 0x270F],
    [0x2712, 0x2712], [0x2714, 0x2714], [0x2716, 0x2716], [0x271D, 0x271D], [0x2721, 0x2721], [0x2728, 0x2728],
    [0x2733, 0x2734], [0x2744, 0x2744], [0x2747, 0x2747], [0x274C, 0x274C], [0x274E, 0x274E], [0x2753, 0x2755],
    [0x2757, 0x2757], [0x2763, 0x2764], [0x2795, 0x2797], [0x27A1, 0x27A1], [0x27B0, 0x27B0], [0x27BF, 0x27BF],
    [0x2934, 0x2935], [0x2B05, 0x2B07], [0x2B1B, 0x2B1C], [0x2B50, 0x2B50], [0x2B55, 0x2B55], [0x3030, 0x3030],
    [0x303D, 0x303D], [0x3297, 0x3297], [0x3299, 0x3299], [0x1F004, 0x1F004], [0x1F02C, 0x1F02F], [0x1F094, 0x1F09F],
    [0x1F0AF, 0x1F0B0], [0x1F0C0, 0x1F0C0], [0x1F0CF, 0x1F0D0], [0x1F0F6, 0x1F0FF], [0x1F170, 0x1F171], [0x1F17E, 0x1F17F],
    [0x1F18E, 0x1F18E], [0x1F191, 0x1F19A], [0x1F1AE, 0x1F1E5], [0x1F201, 0x1F20F], [0x1F21A, 0x1F21A], [0x1F22F, 0x1F22F],
    [0x1F232, 0x1F23A], [0x1F23C, 0x1F23F], [0x1F249, 0x1F25F], [0x1F266, 0x1F321], [0x1F324, 0x1F393], [0x1F396, 0x1F397],
    [0x1F399, 0x1F39B], [0x1F39E, 0x1F3F0], [0x1F3F3, 0x1F3F5], [0x1F3F7, 0x1F3FA], [0x1F400, 0x1F4FD], [0x1F4FF, 0x1F53D],
    [0x1F549, 0x1F54E], [0x1F550, 0x1F567], [0x1F56F, 0x1F570], [0x1F573, 0x1F57A], [0x1F587, 0x1F587], [0x1F58A, 0x1F58D],
    [0x1F590, 0x1F590], [0x1F595, 0x1F596], [0x1F5A4, 0x1F5A5], [0x1F5A8, 0x1F5A8], [0x1F5B1, 0x1F5B2], [0x1F5BC, 0x1F5BC],
    [0x1F5C2, 0x1F5C4], [0x1F5D1, 0x1F5D3], [0x1F5DC, 0x1F5DE], [0x1F5E1, 0x1F5E1], [0x1F5E3, 0x1F5E3], [0x1F5E8, 0x1F5E8],
    [0x1F5EF, 0x1F5EF], [0x1F5F3, 0x1F5F3], [0x1F5FA, 0x1F64F], [0x1F680, 0x1F6C5], [0x1F6CB, 0x1F6D2], [0x1F6D5, 0x1F6E5],
    [0x1F6E9, 0x1F6E9], [0x1F6EB, 0x1F6F0], [0x1F6F3, 0x1F6FF], [0x1F7DA, 0x1F7FF], [0x1F80C, 0x1F80F], [0x1F848, 0x1F84F],
    [0x1F85A, 0x1F85F], [0x1F888, 0x1F88F], [0x1F8AE, 0x1F8AF], [0x1F8BC, 0x1F8BF], [0x1F8C2, 0x1F8CF], [0x1F8D9, 0x1F8FF],
    [0x1F90C, 0x1F93A], [0x1F93C, 0x1F945], [0x1F947, 0x1F9FF], [0x1FA58, 0x1FA5F], [0x1FA6E, 0x1FAFF], [0x1FC00, 0x1FFFD],
  ];

  const GENERIC_TLDS = (
    "삼성 닷컴 닷넷 香格里拉 餐厅 食品 飞利浦 電訊盈科 集团 通販 购物 谷歌 诺基亚 联通 网络 网站 网店 网址 组织机构 移动 珠宝 点看 游戏 淡马锡 机构 書籍 时尚 新闻 政府 " +
    "政务 招聘 手表 手机 我爱你 慈善 微博 广东 工行 家電 娱乐 天主教 大拿 大众汽车 在线 嘉里大酒店 嘉里 商标 商店 商城 公益 公司 八卦 健康 信息 佛山 企业 中文网 中信 " +
    "世界 ポイント ファッション セール ストア コム グーグル クラウド みんな คอม संगठन नेट कॉम همراه موقع موبايلي كوم كاثوليك عرب " +
    "شبكة بيتك بازار العليان ارامكو اتصالات ابوظبي קום сайт рус орг онлайн москва ком католик дети " +
    "zuerich zone zippo zip zero zara zappos yun youtube you yokohama yoga yodobashi yandex yamaxun " +
    "yahoo yachts xyz xxx xperia xin xihuan xfinity xerox xbox wtf wtc wow world works work woodside " +
    "wolterskluwer wme winners wine windows win williamhill wiki wien whoswho weir weibo wedding wed " +
    "website weber webcam weatherchannel weather watches watch warman wanggou wang walter walmart " +
    "wales vuelos voyage voto voting vote volvo volkswagen vodka vlaanderen vivo viva vistaprint " +
    "vista vision visa virgin vip vin villas viking vig video viajes vet versicherung " +
    "vermögensberatung vermögensberater verisign ventures vegas vanguard vana vacations ups uol uno " +
    "university unicom uconnect ubs ubank tvs tushu tunes tui tube trv trust travelersinsurance " +
    "travelers travelchannel travel training trading trade toys toyota town tours total toshiba toray " +
    "top tools tokyo today tmall tkmaxx tjx tjmaxx tirol tires tips tiffany tienda tickets tiaa " +
    "theatre theater thd teva tennis temasek telefonica telecity tel technology tech team tdk tci " +
    "taxi tax tattoo tatar tatamotors target taobao talk taipei tab systems symantec sydney swiss " +
    "swiftcover swatch suzuki surgery surf support supply supplies sucks style study studio stream " +
    "store storage stockholm stcgroup stc statoil statefarm statebank starhub star staples stada srt " +
    "srl spreadbetting spot sport spiegel space soy sony song solutions solar sohu software softbank " +
    "social soccer sncf smile smart sling skype sky skin ski site singles sina silk shriram showtime " +
    "show shouji shopping shop shoes shiksha shia shell shaw sharp shangrila sfr sexy sex sew seven " +
    "ses services sener select seek security secure seat search scot scor scjohnson science schwarz " +
    "schule school scholarships schmidt schaeffler scb sca sbs sbi saxo save sas sarl sapo sap sanofi " +
    "sandvikcoromant sandvik samsung samsclub salon sale sakura safety safe saarland ryukyu rwe run " +
    "ruhr rugby rsvp room rogers rodeo rocks rocher rmit rip rio ril rightathome ricoh richardli rich " +
    "rexroth reviews review restaurant rest republican report repair rentals rent ren reliance reit " +
    "reisen reise rehab redumbrella redstone red recipes realty realtor realestate read raid radio " +
    "racing qvc quest quebec qpon pwc pub prudential pru protection property properties promo " +
    "progressive prof productions prod pro prime press praxi pramerica post porn politie poker pohl " +
    "pnc plus plumbing playstation play place pizza pioneer pink ping pin pid pictures pictet pics " +
    "piaget physio photos photography photo phone philips phd pharmacy pfizer pet pccw pay passagens " +
    "party parts partners pars paris panerai panasonic pamperedchef page ovh ott otsuka osaka origins " +
    "orientexpress organic org orange oracle open ooo onyourside online onl ong one omega ollo " +
    "oldnavy olayangroup olayan okinawa office off observer obi nyc ntt nrw nra nowtv nowruz now " +
    "norton northwesternmutual nokia nissay nissan ninja nikon nike nico nhk ngo nfl nexus nextdirect " +
    "next news newholland new neustar network netflix netbank net nec nba navy natura nationwide name " +
    "nagoya nadex nab mutuelle mutual museum mtr mtpc mtn msd movistar movie mov motorcycles moto " +
    "moscow mortgage mormon mopar montblanc monster money monash mom moi moe moda mobily mobile mobi " +
    "mma mls mlb mitsubishi mit mint mini mil microsoft miami metlife merckmsd meo menu men memorial " +
    "meme melbourne meet media med mckinsey mcdonalds mcd mba mattel maserati marshalls marriott " +
    "markets marketing market map mango management man makeup maison maif madrid macys luxury luxe " +
    "lupin lundbeck ltda ltd lplfinancial lpl love lotto lotte london lol loft locus locker loans " +
    "loan llp llc lixil living live lipsy link linde lincoln limo limited lilly like lighting " +
    "lifestyle lifeinsurance life lidl liaison lgbt lexus lego legal lefrak leclerc lease lds lawyer " +
    "law latrobe latino lat lasalle lanxess landrover land lancome lancia lancaster lamer lamborghini " +
    "ladbrokes lacaixa kyoto kuokgroup kred krd kpn kpmg kosher komatsu koeln kiwi kitchen kindle " +
    "kinder kim kia kfh kerryproperties kerrylogistics kerryhotels kddi kaufen juniper juegos jprs " +
    "jpmorgan joy jot joburg jobs jnj jmp jll jlc jio jewelry jetzt jeep jcp jcb java jaguar iwc " +
    "iveco itv itau istanbul ist ismaili iselect irish ipiranga investments intuit international " +
    "intel int insure insurance institute ink ing info infiniti industries inc immobilien immo imdb " +
    "imamat ikano iinet ifm ieee icu ice icbc ibm hyundai hyatt hughes htc hsbc how house hotmail " +
    "hotels hoteles hot hosting host hospital horse honeywell honda homesense homes homegoods " +
    "homedepot holiday holdings hockey hkt hiv hitachi hisamitsu hiphop hgtv hermes here helsinki " +
    "help healthcare health hdfcbank hdfc hbo haus hangout hamburg hair guru guitars guide guge gucci " +
    "guardian group grocery gripe green gratis graphics grainger gov got gop google goog goodyear " +
    "goodhands goo golf goldpoint gold godaddy gmx gmo gmbh gmail globo global gle glass glade giving " +
    "gives gifts gift ggee george genting gent gea gdn gbiz gay garden gap games game gallup gallo " +
    "gallery gal fyi futbol furniture fund fun fujixerox fujitsu ftr frontier frontdoor frogans frl " +
    "fresenius free fox foundation forum forsale forex ford football foodnetwork food foo fly " +
    "flsmidth flowers florist flir flights flickr fitness fit fishing fish firmdale firestone fire " +
    "financial finance final film fido fidelity fiat ferrero ferrari feedback fedex fast fashion " +
    "farmers farm fans fan family faith fairwinds fail fage extraspace express exposed expert " +
    "exchange everbank events eus eurovision etisalat esurance estate esq erni ericsson equipment " +
    "epson epost enterprises engineering engineer energy emerck email education edu edeka eco eat " +
    "earth dvr dvag durban dupont duns dunlop duck dubai dtv drive download dot doosan domains doha " +
    "dog dodge doctor docs dnp diy dish discover discount directory direct digital diet diamonds dhl " +
    "dev design desi dentist dental democrat delta deloitte dell delivery degree deals dealer deal " +
    "dds dclk day datsun dating date data dance dad dabur cyou cymru cuisinella csc cruises cruise " +
    "crs crown cricket creditunion creditcard credit cpa courses coupons coupon country corsica coop " +
    "cool cookingchannel cooking contractors contact consulting construction condos comsec computer " +
    "compare company community commbank comcast com cologne college coffee codes coach clubmed club " +
    "cloud clothing clinique clinic click cleaning claims cityeats city citic citi citadel cisco " +
    "circle cipriani church chrysler chrome christmas chloe chintai cheap chat chase charity channel " +
    "chanel cfd cfa cern ceo center ceb cbs cbre cbn cba catholic catering cat casino cash caseih " +
    "case casa cartier cars careers career care cards caravan car capitalone capital capetown canon " +
    "cancerresearch camp camera cam calvinklein call cal cafe cab bzh buzz buy business builders " +
    "build bugatti budapest brussels brother broker broadway bridgestone bradesco box boutique bot " +
    "boston bostik bosch boots booking book boo bond bom bofa boehringer boats bnpparibas bnl bmw bms " +
    "blue bloomberg blog blockbuster blanco blackfriday black biz bio bingo bing bike bid bible " +
    "bharti bet bestbuy best berlin bentley beer beauty beats bcn bcg bbva bbt bbc bayern bauhaus " +
    "basketball baseball bargains barefoot barclays barclaycard barcelona bar bank band " +
    "bananarepublic banamex baidu baby azure axa aws avianca autos auto author auspost audio audible " +
    "audi auction attorney athleta associates asia asda arte art arpa army archi aramco arab " +
    "aquarelle apple app apartments aol anz anquan android analytics amsterdam amica amfam amex " +
    "americanfamily americanexpress alstom alsace ally allstate allfinanz alipay alibaba alfaromeo " +
    "akdn airtel airforce airbus aigo aig agency agakhan africa afl afamilycompany aetna aero aeg " +
    "adult ads adac actor active aco accountants accountant accenture academy abudhabi abogado able " +
    "abc abbvie abbott abb abarth aarp aaa onion "
  ).split(" ").filter(Boolean);

  const COUNTRY_TLDS = (
    "한국 香港 澳門 新加坡 台灣 台湾 中國 中国 გე ລາວ ไทย ලංකා ഭാരതം ಭಾರತ భారత్ சிங்கப்பூர் இலங்கை இந்தியா ଭାରତ ભારત " +
    "ਭਾਰਤ ভাৰত ভারত বাংলা भारोत भारतम् भारत ڀارت پاکستان موريتانيا مليسيا مصر قطر فلسطين عمان عراق " +
    "سورية سودان تونس بھارت بارت ایران امارات المغرب السعودية الجزائر البحرين الاردن հայ қаз укр срб " +
    "рф мон мкд ею бел бг ευ ελ zw zm za yt ye ws wf vu vn vi vg ve vc va uz uy us um uk ug ua tz tw " +
    "tv tt tr tp to tn tm tl tk tj th tg tf td tc sz sy sx sv su st ss sr so sn sm sl sk sj si sh sg " +
    "se sd sc sb sa rw ru rs ro re qa py pw pt ps pr pn pm pl pk ph pg pf pe pa om nz nu nr np no nl " +
    "ni ng nf ne nc na mz my mx mw mv mu mt ms mr mq mp mo mn mm ml mk mh mg mf me md mc ma ly lv lu " +
    "lt ls lr lk li lc lb la kz ky kw kr kp kn km ki kh kg ke jp jo jm je it is ir iq io in im il ie " +
    "id hu ht hr hn hm hk gy gw gu gt gs gr gq gp gn gm gl gi gh gg gf ge gd gb ga fr fo fm fk fj fi " +
    "eu et es er eh eg ee ec dz do dm dk dj de cz cy cx cw cv cu cr co cn cm cl ck ci ch cg cf cd cc " +
    "ca bz by bw bv bt bs br bq bo bn bm bl bj bi bh bg bf be bd bb ba az ax aw au at as ar aq ao an " +
    "am al ai ag af ae ad ac "
  ).split(" ").filter(Boolean);

  window.ChorusText = Object.freeze({
    X_MAX_WEIGHTED,
    X_URL_WEIGHT,
    LINKEDIN_MAX_CHARS,
    xWeightedLength,
    linkedinLength,
    composeShareText,
    measure,
    bind,
    // For the agreement tests only.
    _urlSpans: urlSpans,
    _containsPhrase: containsPhrase,
    _data: { EXTENDED_PICTOGRAPHIC, GENERIC_TLDS, COUNTRY_TLDS },
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => bind(document));
  } else {
    bind(document);
  }
  // Django admin adds inline rows with a "formset:added" event on the new row.
  document.addEventListener("formset:added", (event) => bind(event.target));
})();
