"""The catalogue's TV shows as text, one item per two lines (format in catalogue.py)."""

TV_TABLE = """
1399|Game of Thrones|2011-04-17|8.5|10765,18,10759|en|US|
Noble families fight for control of the Iron Throne.
1396|Breaking Bad|2008-01-20|8.9|18,80|en|US|
A chemistry teacher turns to making methamphetamine.
1668|Friends|1994-09-22|8.4|35,18|en|US|
Six friends share their lives in New York City.
66732|Stranger Things|2016-07-15|8.6|18,10765,9648|en|US|
A boy vanishes and a small town uncovers a mystery.
1402|The Walking Dead|2010-10-31|8.1|10759,18,10765|en|US|
Survivors struggle on after a zombie apocalypse.
1418|The Big Bang Theory|2007-09-24|7.9|35|en|US|
Two physicists befriend the woman across the hall.
2316|The Office|2005-03-24|8.6|35|en|US|
Everyday life at a paper company's branch office.
60059|Better Call Saul|2015-02-08|8.7|80,18|en|US|
A small-time lawyer becomes Saul Goodman.
1100|How I Met Your Mother|2005-09-19|8.2|35|en|US|
A father tells his children how he met their mother.
1408|House|2004-11-16|8.6|18,9648,35|en|US|
A brilliant, misanthropic doctor solves medical mysteries.
456|The Simpsons|1989-12-17|8.0|10751,16,35|en|US|
A working-class family lives in the town of Springfield.
1434|Family Guy|1999-01-31|7.4|16,35|en|US|
The misadventures of the Griffin family.
60625|Rick and Morty|2013-12-02|8.7|16,35,10765,10759|en|US|
A scientist drags his grandson on interdimensional adventures.
1398|The Sopranos|1999-01-10|8.6|18,80|en|US|
A mob boss sees a psychiatrist.
1438|The Wire|2002-06-02|8.6|80,18|en|US|
Baltimore's drug trade seen from both sides of the law.
94605|Arcane|2021-11-06|8.7|16,10765,10759,18|en|US|
Two sisters end up on opposite sides of a conflict.
71912|The Witcher|2019-12-20|8.0|18,10765,10759|en|US|
A monster hunter struggles to find his place.
82856|The Mandalorian|2019-11-12|8.4|10765,10759,18|en|US|
A bounty hunter protects a mysterious child.
84958|Loki|2021-06-09|8.2|18,10765|en|US|
The god of mischief is caught by a time agency.
100088|The Last of Us|2023-01-15|8.6|18|en|US|
A smuggler escorts a teenage girl across a ruined America.
94997|House of the Dragon|2022-08-21|8.4|10765,18,10759|en|US|
The Targaryen dynasty heads toward civil war.
76479|The Boys|2019-07-25|8.5|10765,10759|en|US|
Vigilantes take on corrupt superheroes.
63174|Lucifer|2016-01-25|8.5|80,10765|en|US|
The Devil leaves Hell to run a nightclub in Los Angeles.
1416|Grey's Anatomy|2005-03-27|8.2|18|en|US|
Surgical interns and their mentors in Seattle.
1622|Supernatural|2005-09-13|8.3|18,9648,10765|en|US|
Two brothers hunt demons and ghosts.
46648|True Detective|2014-01-12|8.3|18|en|US|
Detectives are consumed by the cases they investigate.
63247|Westworld|2016-10-02|8.0|9648,37,10765|en|US|
Android hosts in a theme park begin to awaken.
19885|Sherlock|2010-07-25|8.5|80,18,9648|en|GB|
Sherlock Holmes and Dr Watson in modern London.
60574|Peaky Blinders|2013-09-12|8.5|18,80|en|GB|
A gang family rises in post-war Birmingham.
65494|The Crown|2016-11-04|8.2|18|en|GB|
The reign of Queen Elizabeth II.
42009|Black Mirror|2011-12-04|8.3|10765,18,9648|en|GB|
Stories about technology and its dark side.
57243|Doctor Who|2005-03-26|7.5|10759,18,10765|en|GB|
A time traveller explores the universe in a blue box.
71446|Money Heist|2017-05-02|8.2|80,18|es|ES|La casa de papel
A criminal mastermind plans the biggest heist in Spain.
70523|Dark|2017-12-01|8.4|80,18,10765,9648|de|DE|
A missing child exposes the secrets of four families.
93405|Squid Game|2021-09-17|7.8|10759,9648,18|ko|KR|오징어 게임
Debtors compete in deadly children's games for a fortune.
1429|Attack on Titan|2013-04-07|8.7|16,10765,10759|ja|JP|進撃の巨人
Humanity fights giant Titans from behind great walls.
31911|Fullmetal Alchemist: Brotherhood|2009-04-05|8.7|16,10759,18|ja|JP|鋼の錬金術師
Two brothers search for the Philosopher's Stone.
37854|One Piece|1999-10-20|8.7|10759,35,16|ja|JP|ワンピース
A young pirate sets out to find the legendary treasure.
46260|Naruto|2002-10-03|8.4|16,10759,10765|ja|JP|ナルト
A young ninja seeks recognition and dreams of leading.
1421|Modern Family|2009-09-23|7.9|35|en|US|
Three related families in Los Angeles.
4607|Lost|2004-09-22|7.9|10759,9648|en|US|
Plane crash survivors on a mysterious island.
1405|Dexter|2006-10-01|8.2|80,18,9648|en|US|
A forensic expert is secretly a serial killer.
1407|Homeland|2011-10-02|7.7|18,80,9648|en|US|
A CIA officer suspects a returned soldier.
48891|Brooklyn Nine-Nine|2013-09-17|8.2|35,80|en|US|
Detectives of a Brooklyn precinct.
8592|Parks and Recreation|2009-04-09|8.0|35|en|US|
A parks department employee tries to improve her town.
2190|South Park|1997-08-13|8.3|16,35|en|US|
Four boys in a small Colorado town.
615|Futurama|1999-03-28|8.4|16,35,10765|en|US|
A delivery boy is frozen and wakes up in the year 3000.
1400|Seinfeld|1989-07-05|8.3|35|en|US|
A comedian and his friends in New York.
87108|Chernobyl|2019-05-06|8.7|18|en|US|
The 1986 nuclear disaster and its cleanup.
95396|Severance|2022-02-17|8.4|18,9648,10765|en|US|
Office workers have their work memories surgically divided.
136315|The Bear|2022-06-23|8.1|18,35|en|US|
A chef returns to run his family's sandwich shop.
97546|Ted Lasso|2020-08-14|8.4|35,18|en|US|
An American football coach manages an English club.
1411|Person of Interest|2011-09-22|8.1|80,18,10759|en|US|
A machine predicts crimes and two men try to stop them.
4057|Criminal Minds|2005-09-22|8.3|80,18,9648|en|US|
An FBI team profiles serial criminals.
1920|Twin Peaks|1990-04-08|8.1|18,9648,80|en|US|
An FBI agent investigates a murder in a small town.
1413|American Horror Story|2011-10-05|8.1|18,9648,10765|en|US|
An anthology of horror stories.
119051|Wednesday|2022-11-23|8.4|10765,9648,35|en|US|
Wednesday Addams investigates murders at her new school.
85271|WandaVision|2021-01-15|8.2|10765,9648,18|en|US|
Two superheroes live an idealised suburban life.
62560|Mr. Robot|2015-06-24|8.3|80,18|en|US|
A hacker is recruited by an anarchist group.
1425|House of Cards|2013-02-01|8.1|18|en|US|
A congressman schemes his way to power.
"""
