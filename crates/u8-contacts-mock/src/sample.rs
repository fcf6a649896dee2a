//! Deterministic sample contacts: the same `n` always gives the same contacts.

use crm_runtime::{LenientDate, StrBool};

use u8_contacts::ExtraFields;
use u8_contacts::types::Contact;

/// Customers the sample contacts belong to: code, name, telephone area code, e-mail domain.
/// The first two are the customers of the document's example.
const CUSTOMERS: &[(&str, &str, &str, &str)] = &[
    ("0215", "天津鹏程电子有限公司", "022", "pengcheng-tj.com.cn"),
    ("0111", "云飞电子科技集团", "010", "yunfei-group.com"),
    ("0102", "北京华远机械制造有限公司", "010", "huayuan-jx.com"),
    ("0307", "上海东方商贸有限公司", "021", "dfsm.sh.cn"),
    ("0420", "深圳鑫达通讯设备有限公司", "0755", "xinda-tx.com"),
    ("0516", "广州南粤物流有限公司", "020", "nanyue-wl.com"),
    ("0623", "杭州西湖软件股份有限公司", "0571", "xihusoft.com"),
];

/// Persons in charge (salespeople), one per customer in turn; the first two are the
/// document's example.
const CHARGE_PERSONS: &[(&str, &str)] = &[
    ("00040", "崔可"),
    ("00023", "师小容"),
    ("00031", "王建国"),
    ("00017", "刘芳"),
];

/// Surnames with their pinyin (for e-mail addresses and WeChat ids).
const SURNAMES: &[(&str, &str)] = &[
    ("张", "zhang"),
    ("王", "wang"),
    ("李", "li"),
    ("赵", "zhao"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("周", "zhou"),
    ("吴", "wu"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("马", "ma"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("郭", "guo"),
    ("何", "he"),
    ("林", "lin"),
    ("罗", "luo"),
    ("高", "gao"),
    ("阚", "kan"),
];

const GIVEN_NAMES: &[&str] = &[
    "天宇", "奇", "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳",
    "杰", "娟", "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "志远",
];

const POSITIONS: &[&str] = &[
    "采购经理",
    "总经理",
    "财务主管",
    "销售代表",
    "技术工程师",
    "行政助理",
    "",
    "",
];
const FAVORITES: &[&str] = &["篮球", "旅游", "书法", "摄影", "钓鱼", "围棋", "", "音乐"];
const NATIVES: &[&str] = &[
    "天津",
    "北京",
    "河北保定",
    "山东济南",
    "",
    "江苏苏州",
    "四川成都",
];

fn pick<T: Copy>(items: &[T], i: usize) -> Option<T> {
    items.get(i % items.len().max(1)).copied()
}

fn name_of(i: usize) -> (String, &'static str) {
    // Not `i`: customers take contacts in turn (`i % 7`), and each should get varied surnames.
    let (surname, pinyin) = pick(SURNAMES, i * 13 + i / CUSTOMERS.len()).unwrap_or(("张", "zhang"));
    let given = pick(GIVEN_NAMES, i * 7 + i / SURNAMES.len()).unwrap_or("伟");
    (format!("{surname}{given}"), pinyin)
}

/// A contact with every documented field present and empty, as U8 sends them.
pub(crate) fn blank_contact() -> Contact {
    Contact {
        be_main_linker: Some(StrBool::new(false)),
        birthday: Some(LenientDate::none()),
        ccuscode: Some("".into()),
        ccusname: Some("".into()),
        charge_person: Some("".into()),
        charge_person_code: Some("".into()),
        code: Some("".into()),
        default: Some(StrBool::new(false)),
        direct_leader: Some("".into()),
        direct_leader_code: Some("".into()),
        email: Some("".into()),
        favorite: Some("".into()),
        mobile_phone: Some("".into()),
        name: Some("".into()),
        native: Some("".into()),
        office_phone: Some("".into()),
        position: Some("".into()),
        qq: Some("".into()),
        sex: Some("".into()),
        title: Some("".into()),
        wechat: Some("".into()),
        extra: ExtraFields::new(),
    }
}

/// Fills the fields a caller left out (`None`) the way U8 sends empty values: `""` for text
/// and the birthday, `"0"` for the two flags.
pub(crate) fn normalize(mut c: Contact) -> Contact {
    let blank = blank_contact();
    macro_rules! fill {
        ($($f:ident),*) => { $( if c.$f.is_none() { c.$f = blank.$f.clone(); } )* };
    }
    fill!(
        be_main_linker,
        birthday,
        ccuscode,
        ccusname,
        charge_person,
        charge_person_code,
        code,
        default,
        direct_leader,
        direct_leader_code,
        email,
        favorite,
        mobile_phone,
        name,
        native,
        office_phone,
        position,
        qq,
        sex,
        title,
        wechat
    );
    c
}

/// The `i`-th (0-based) sample contact, code `format!("{:08}", i + 1)`.
pub(crate) fn sample_contact(i: usize) -> Contact {
    let (cus_code, cus_name, area, domain) = pick(CUSTOMERS, i).unwrap_or(CUSTOMERS[0]);
    let customer_index = i % CUSTOMERS.len();
    let (charge_code, charge_name) =
        pick(CHARGE_PERSONS, customer_index).unwrap_or(CHARGE_PERSONS[0]);
    let (name, pinyin) = name_of(i);
    let sex = match i % 5 {
        0 | 1 => "男",
        2 | 3 => "女",
        _ => "不详",
    };
    let title = match (sex, i % 6) {
        (_, 5) => "",
        ("男", _) => "先生",
        ("女", _) => "女士",
        _ => "",
    };
    let birthday = if i.is_multiple_of(4) {
        String::new()
    } else {
        let date = format!(
            "{}-{:02}-{:02}",
            1960 + (i * 7) % 40,
            (i * 5) % 12 + 1,
            (i * 11) % 28 + 1
        );
        // U8 sometimes sends a date with a time part (docs/vendors.md §3.3).
        if i % 10 == 3 {
            format!("{date} 00:00:00.000")
        } else {
            date
        }
    };
    // The first contact of each customer leads the others of some of its contacts.
    let leader = (i >= CUSTOMERS.len() && !i.is_multiple_of(3)).then_some(customer_index);
    let mobile_prefix = pick(&[3, 5, 8, 9], i).unwrap_or(3);
    let mut c = blank_contact();
    c.code = Some(format!("{:08}", i + 1).into());
    c.name = Some(name.into());
    c.ccuscode = Some(cus_code.into());
    c.ccusname = Some(cus_name.into());
    c.charge_person_code = Some(charge_code.into());
    c.charge_person = Some(charge_name.into());
    if let Some(l) = leader {
        c.direct_leader_code = Some(format!("{:08}", l + 1).into());
        c.direct_leader = Some(name_of(l).0.into());
    }
    c.be_main_linker = Some(StrBool::new(i.is_multiple_of(3)));
    c.default = Some(StrBool::new(i < CUSTOMERS.len() || i.is_multiple_of(11)));
    c.title = Some(title.into());
    c.sex = Some(sex.into());
    c.birthday = Some(birthday.parse().unwrap_or_default());
    c.native = Some(pick(NATIVES, i / 2).unwrap_or("").into());
    c.position = Some(pick(POSITIONS, i / 3).unwrap_or("").into());
    if i % 6 != 1 {
        c.mobile_phone = Some(
            format!(
                "1{mobile_prefix}{:09}",
                (i as u64 * 7_919_993 + 12_345_678) % 1_000_000_000
            )
            .into(),
        );
    }
    if i % 3 != 2 {
        c.office_phone = Some(format!("{area}-{:08}", 23_450_000 + i).into());
    }
    if i % 5 != 4 {
        c.email = Some(format!("{pinyin}{}@{domain}", i + 1).into());
    }
    c.favorite = Some(pick(FAVORITES, i / 4).unwrap_or("").into());
    if i % 4 != 1 {
        c.wechat = Some(format!("wx_{pinyin}{:03}", (i * 37) % 1000).into());
    }
    if !i.is_multiple_of(3) {
        c.qq = Some(format!("{}", 100_000_000 + (i as u64 * 37_513) % 900_000_000).into());
    }
    c
}

/// `n` sample contacts, codes `"00000001"`, `"00000002"`, ...
pub fn sample_contacts(n: usize) -> Vec<Contact> {
    (0..n).map(sample_contact).collect()
}
