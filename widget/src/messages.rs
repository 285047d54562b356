//! Every string the widget shows, in pt-BR, en and es, keyed by the name a page uses to
//! override it (`options.messages`). One table: the enum, the keys, the three locales and the
//! TypeScript interface all come from the same lines. WhatsApp's menu names drift between app
//! versions, which is why every string can be overridden.

use alloc::string::String;

macro_rules! messages {
    ($( $variant:ident $key:literal [$pt:literal, $en:literal, $es:literal] )*) => {
        /// A message.
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        pub enum Msg { $( $variant, )* }

        // Packed lists (one string each, NUL-separated, in `Msg` order) rather than arrays of
        // `&str`: a table of pointers costs more wasm than the texts' separators.
        /// Each message's name in `options.messages`.
        const KEYS: &str = concat!($( $key, "\0", )*);
        /// The built-in texts of each locale, in `Locale` order.
        const TEXTS: [&str; 3] = [
            concat!($( $pt, "\0", )*),
            concat!($( $en, "\0", )*),
            concat!($( $es, "\0", )*),
        ];

        /// The `messages` option's type, in the package's generated `types.d.ts`.
        pub const TS_MESSAGES: &str = concat!(
            "/** Overrides of built-in strings, by name. `{n}` and `{m}` are numbers. */\n",
            "export interface PilotConnectMessages {\n",
            $( "  ", $key, "?: string;\n", )*
            "}\n"
        );
    };
}

messages! {
    Title "title" ["Conecte seu WhatsApp", "Connect your WhatsApp", "Conecta tu WhatsApp"]
    // The steps say what WhatsApp itself says in each language (its menu names: pt-BR
    // "Aparelhos conectados › Conectar um aparelho", as Brazilian users and guides read them),
    // so the person finds each tap by its label. Brazilians say "QR code".
    Step1 "step1" ["Abra o WhatsApp no seu celular.", "Open WhatsApp on your phone.", "Abre WhatsApp en tu teléfono."]
    Step2 "step2" [
        "Toque em Mais opções (⋮) no Android ou em Configurações no iPhone.",
        "Tap Menu (⋮) on Android, or Settings on iPhone.",
        "Toca Menú (⋮) en Android o Ajustes en iPhone."
    ]
    Step3 "step3" [
        "Toque em Aparelhos conectados e depois em Conectar um aparelho.",
        "Tap Linked devices, then Link a device.",
        "Toca Dispositivos vinculados y luego Vincular un dispositivo."
    ]
    Step4 "step4" ["Aponte o celular para este QR code.", "Point your phone at this QR code.", "Apunta tu teléfono a este código QR."]
    CodeStep4 "codeStep4" [
        "Toque em Conectar com número de telefone e digite ou cole este código.",
        "Tap Link with phone number instead and enter or paste this code.",
        "Toca Vincular con el número de teléfono e ingresa o pega este código."
    ]
    Loading "loading" ["Gerando o código…", "Getting your code…", "Generando el código…"]
    Scan "scan" ["Escaneie o QR code com o WhatsApp.", "Scan the QR code with WhatsApp.", "Escanea el código QR con WhatsApp."]
    TypeCode "typeCode" ["Digite o código de conexão no WhatsApp.", "Enter the linking code in WhatsApp.", "Ingresa el código de vinculación en WhatsApp."]
    Attempt "attempt" ["Código {n} de {m}", "Code {n} of {m}", "Código {n} de {m}"]
    Countdown "countdown" ["Novo QR code em {n} s", "New QR code in {n} s", "Nuevo código QR en {n} s"]
    Refreshing "refreshing" ["Gerando um novo código…", "Getting a new code…", "Generando un nuevo código…"]
    NewCode "newCode" ["Gerar novo código", "Get a new code", "Generar nuevo código"]
    CodeTitle "codeTitle" ["Código de conexão", "Linking code", "Código de vinculación"]
    ForNumber "forNumber" ["Para o número", "For the number", "Para el número"]
    CodeExpiresIn "codeExpiresIn" ["Vale por mais {n} segundos", "Valid for {n} more seconds", "Válido por {n} segundos más"]
    CodeRenews "codeRenews" [
        "Se este código expirar, um novo aparece aqui.",
        "If this code expires, a new one appears here.",
        "Si este código caduca, aparecerá uno nuevo aquí."
    ]
    CodeReplaced "codeReplaced" [
        "Este é um código novo: o anterior expirou.",
        "This is a new code: the previous one expired.",
        "Este es un código nuevo: el anterior caducó."
    ]
    UseCode "useCode" ["Conectar com número de telefone", "Link with phone number instead", "Vincular con el número de teléfono"]
    ShowQr "showQr" ["Mostrar QR code", "Show QR code", "Mostrar código QR"]
    Copy "copy" ["Copiar código", "Copy code", "Copiar código"]
    Copied "copied" ["Código copiado", "Code copied", "Código copiado"]
    QrAlt "qrAlt" ["QR code para conectar o WhatsApp", "QR code to link WhatsApp", "Código QR para vincular WhatsApp"]
    Expired "expired" ["O código expirou.", "The code expired.", "El código caducó."]
    Reload "reload" ["Gerar novo código", "Get a new code", "Generar nuevo código"]
    Connected "connected" ["WhatsApp conectado", "WhatsApp connected", "WhatsApp conectado"]
    ConnectedText "connectedText" [
        "Seu número está conectado e pronto para uso.",
        "Your number is linked and ready to use.",
        "Tu número está vinculado y listo para usar."
    ]
    Help "help" ["Precisa de ajuda?", "Need help?", "¿Necesitas ayuda?"]
    WaitTitle "waitTitle" ["Número oficial do WhatsApp", "Official WhatsApp number", "Número oficial de WhatsApp"]
    WaitText "waitText" [
        "A Meta está concluindo a configuração deste número. Esta tela se atualiza sozinha.",
        "Meta is finishing this number's setup. This screen updates by itself.",
        "Meta está terminando la configuración de este número. Esta pantalla se actualiza sola."
    ]
    MetaStatus "metaStatus" ["Status na Meta:", "Status at Meta:", "Estado en Meta:"]
    SignupTitle "signupTitle" [
        "Conecte seu número oficial do WhatsApp",
        "Connect your official WhatsApp number",
        "Conecta tu número oficial de WhatsApp"
    ]
    SignupText "signupText" [
        "Você vai continuar no Facebook para escolher o número e concluir o cadastro.",
        "You'll continue on Facebook to pick the number and finish the signup.",
        "Continuarás en Facebook para elegir el número y terminar el registro."
    ]
    Signup "signup" ["Continuar com o Facebook", "Continue with Facebook", "Continuar con Facebook"]
    SignupOpen "signupOpen" [
        "Conclua o cadastro na janela do Facebook. Esta tela se atualiza sozinha.",
        "Finish the signup in the Facebook window. This screen updates by itself.",
        "Termina el registro en la ventana de Facebook. Esta pantalla se actualiza sola."
    ]
    SignupReopen "signupReopen" ["Reabrir a janela", "Reopen the window", "Reabrir la ventana"]
    SignupBlocked "signupBlocked" [
        "O navegador bloqueou a janela do Facebook. Abra o cadastro em uma nova aba:",
        "Your browser blocked the Facebook window. Open the signup in a new tab:",
        "El navegador bloqueó la ventana de Facebook. Abre el registro en una pestaña nueva:"
    ]
    SignupNewTab "signupNewTab" ["Abrir em uma nova aba", "Open in a new tab", "Abrir en una pestaña nueva"]
    SignupUnsure "signupUnsure" [
        "Conclua o cadastro na janela do Facebook. Se ela não estiver mais aberta, abra de novo.",
        "Finish the signup in the Facebook window. If it is no longer open, open it again.",
        "Termina el registro en la ventana de Facebook. Si ya no está abierta, ábrela de nuevo."
    ]
    SignupClosed "signupClosed" [
        "A janela foi fechada antes de concluir. Você pode abri-la de novo.",
        "The window closed before the signup finished. You can open it again.",
        "La ventana se cerró antes de terminar. Puedes abrirla de nuevo."
    ]
    Retry "retry" ["Tentar novamente", "Try again", "Reintentar"]
    ErrorNetworkTitle "errorNetworkTitle" ["Sem conexão", "No connection", "Sin conexión"]
    ErrorNetwork "errorNetwork" [
        "Não foi possível falar com o servidor. Verifique sua internet e tente novamente.",
        "We couldn't reach the server. Check your internet connection and try again.",
        "No pudimos comunicarnos con el servidor. Revisa tu conexión a internet e inténtalo de nuevo."
    ]
    ErrorRateLimitedTitle "errorRateLimitedTitle" ["Muitas tentativas", "Too many attempts", "Demasiados intentos"]
    ErrorRateLimited "errorRateLimited" ["Tentando de novo em {n} s.", "Trying again in {n} s.", "Reintentando en {n} s."]
    ErrorExpiredTitle "errorExpiredTitle" ["Sessão expirada", "Session expired", "Sesión caducada"]
    ErrorExpired "errorExpired" [
        "Sua sessão expirou. Atualize a página para continuar.",
        "Your session expired. Refresh the page to continue.",
        "Tu sesión caducó. Actualiza la página para continuar."
    ]
    ErrorUnauthorizedTitle "errorUnauthorizedTitle" ["Acesso não autorizado", "Not authorized", "Acceso no autorizado"]
    ErrorUnauthorized "errorUnauthorized" [
        "Não foi possível confirmar seu acesso. Atualize a página e tente de novo.",
        "We couldn't confirm your access. Refresh the page and try again.",
        "No pudimos confirmar tu acceso. Actualiza la página e inténtalo de nuevo."
    ]
    ErrorOriginTitle "errorOriginTitle" ["Página não autorizada", "This page is not allowed", "Página no autorizada"]
    ErrorOrigin "errorOrigin" [
        "Esta página não está autorizada a conectar o WhatsApp. Fale com o suporte.",
        "This page is not allowed to link WhatsApp. Please contact support.",
        "Esta página no está autorizada para vincular WhatsApp. Contacta con soporte."
    ]
    ErrorLinkExpiredTitle "errorLinkExpiredTitle" ["Link expirado", "Link expired", "Enlace caducado"]
    ErrorLinkExpired "errorLinkExpired" [
        "Este link de cadastro expirou ou já foi usado. Atualize a página para receber um novo.",
        "This signup link expired or was already used. Refresh the page to get a new one.",
        "Este enlace de registro caducó o ya se usó. Actualiza la página para recibir uno nuevo."
    ]
    ErrorNotFoundTitle "errorNotFoundTitle" ["Número não encontrado", "Number not found", "Número no encontrado"]
    ErrorNotFound "errorNotFound" [
        "Este número não existe mais. Fale com o suporte.",
        "This number no longer exists. Please contact support.",
        "Este número ya no existe. Contacta con soporte."
    ]
    ErrorNotPairableTitle "errorNotPairableTitle" ["Conexão indisponível", "Linking unavailable", "Vinculación no disponible"]
    ErrorNotPairable "errorNotPairable" [
        "Este número não pode ser conectado por QR code nem por código de conexão.",
        "This number can't be linked with a QR code or a linking code.",
        "Este número no se puede vincular con un código QR ni con un código de vinculación."
    ]
    ErrorServerTitle "errorServerTitle" ["Serviço indisponível", "Service unavailable", "Servicio no disponible"]
    ErrorServer "errorServer" [
        "O serviço de conexão falhou. Tente novamente em instantes.",
        "The connection service failed. Try again in a moment.",
        "El servicio de conexión falló. Inténtalo de nuevo en un momento."
    ]
    ErrorConfigTitle "errorConfigTitle" ["Serviço não configurado", "Service not configured", "Servicio no configurado"]
    ErrorConfig "errorConfig" [
        "O serviço de conexão ainda não foi configurado. Fale com o suporte.",
        "The connection service is not set up yet. Please contact support.",
        "El servicio de conexión aún no está configurado. Contacta con soporte."
    ]
}

/// A built-in locale.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Locale {
    /// Brazilian Portuguese (the default for `pt*`).
    PtBr = 0,
    /// English.
    En,
    /// Spanish.
    Es,
}

impl Locale {
    /// `requested` (`pt-BR`, `en`, `es`, or `auto`/empty for the browser's `browser_lang`).
    #[must_use]
    pub fn pick(requested: &str, browser_lang: &str) -> Self {
        let tag = if requested.is_empty() || requested.eq_ignore_ascii_case("auto") {
            browser_lang
        } else {
            requested
        };
        let lang = tag
            .as_bytes()
            .split(|b| matches!(b, b'-' | b'_'))
            .next()
            .unwrap_or_default();
        if lang.eq_ignore_ascii_case(b"en") {
            Self::En
        } else if lang.eq_ignore_ascii_case(b"es") {
            Self::Es
        } else {
            Self::PtBr
        }
    }

    /// The BCP 47 tag (`lang` attribute).
    #[must_use]
    pub const fn tag(self) -> &'static str {
        match self {
            Self::PtBr => "pt-BR",
            Self::En => "en",
            Self::Es => "es",
        }
    }

    /// The built-in text of `m`.
    #[must_use]
    pub fn text(self, m: Msg) -> &'static str {
        TEXTS
            .get(self as usize)
            .map_or("", |texts| nth(texts, m as usize))
    }
}

impl Msg {
    /// Its name in `options.messages`.
    #[must_use]
    pub fn key(self) -> &'static str {
        nth(KEYS, self as usize)
    }
}

/// Every message's name in `options.messages`, in order.
pub fn keys() -> impl Iterator<Item = &'static str> {
    KEYS.split_terminator('\0')
}

/// Item `n` of a packed list whose items each end with a NUL (`""` past the end). Byte search
/// and checked slicing: no char searcher, no panic path.
#[must_use]
pub fn nth(list: &str, n: usize) -> &str {
    let mut rest = list;
    for _ in 0..n {
        match rest.bytes().position(|b| b == 0) {
            Some(i) => rest = rest.get(i + 1..).unwrap_or_default(),
            None => return "",
        }
    }
    let end = rest.bytes().position(|b| b == 0).unwrap_or(rest.len());
    rest.get(..end).unwrap_or_default()
}

/// `{n}`/`{m}` replaced by numbers (no `format!`, and no slicing that could panic: this is
/// the widget's hot path and every panic path costs bytes).
#[must_use]
pub fn fill(template: &str, n: u32, m: u32) -> String {
    let mut out = String::with_capacity(template.len() + 8);
    let mut rest = template;
    // `{` is ASCII, so splitting at its byte index is a char boundary (checked anyway).
    while let Some((before, after)) = rest
        .bytes()
        .position(|b| b == b'{')
        .and_then(|i| rest.split_at_checked(i))
    {
        out.push_str(before);
        if let Some(tail) = after.strip_prefix("{n}") {
            push_u32(&mut out, n);
            rest = tail;
        } else if let Some(tail) = after.strip_prefix("{m}") {
            push_u32(&mut out, m);
            rest = tail;
        } else {
            out.push_str("{");
            rest = after.get(1..).unwrap_or_default();
        }
    }
    out.push_str(rest);
    out
}

fn push_u32(out: &mut String, v: u32) {
    // Highest digit first, by recursion: only divisions by the constant 10 (no panic path).
    if v >= 10 {
        push_u32(out, v / 10);
    }
    // `&str`s, not `char`s: no UTF-8 encoder in the wasm for ASCII digits.
    let d = (v % 10) as usize;
    out.push_str("0123456789".get(d..=d).unwrap_or_default());
}
